import { ApplicationFailure } from '@temporalio/common';
import {
  syncAccountTemplates,
  TemplateSyncError,
  templateSyncAccounts,
} from '../templates/sync-account';
import type { AccountTemplateSync } from '../workflows/contracts/template-sync';
import type { ActivityDeps } from './deps';

export function templateActivities(deps: Pick<ActivityDeps, 'store' | 'meta'>) {
  return {
    async listTemplateSyncAccounts(orgId: string | null): Promise<string[]> {
      return templateSyncAccounts(deps, orgId);
    },

    /** A sync that cannot succeed by trying again fails the activity for good. */
    async syncAccountTemplates(accountId: string): Promise<AccountTemplateSync> {
      try {
        return await syncAccountTemplates(deps, accountId);
      } catch (err) {
        if (!(err instanceof TemplateSyncError)) throw err;
        throw ApplicationFailure.create({
          type: err.type,
          message: err.message,
          nonRetryable: true,
        });
      }
    },
  };
}

export type TemplateActivities = ReturnType<typeof templateActivities>;

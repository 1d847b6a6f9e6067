import { ActivityFailure, ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { TemplateActivities } from '../activities/templates';
import type {
  AccountTemplateSync,
  TemplateSyncInput,
  TemplateSyncResult,
} from './contracts/template-sync';

const { listTemplateSyncAccounts } = proxyActivities<TemplateActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', maximumAttempts: 5 },
});

// A sync reads a few pages from Meta; throttling and outages are worth a few patient retries,
// while a revoked token or an unknown account fails at once (non-retryable in the activity).
const { syncAccountTemplates } = proxyActivities<TemplateActivities>({
  startToCloseTimeout: '2 minutes',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 5,
  },
});

/** Accounts synced at the same time: Meta limits calls per app, not per account. */
const PARALLEL_ACCOUNTS = 4;

/** The activity's own failure (type and message), without the activity wrapper. */
function unwrap(err: unknown): unknown {
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) {
    return ApplicationFailure.create({
      type: err.cause.type ?? undefined,
      message: err.cause.message,
      nonRetryable: true,
    });
  }
  return err;
}

async function syncOne(accountId: string): Promise<AccountTemplateSync> {
  try {
    return await syncAccountTemplates(accountId);
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    return {
      account_id: accountId,
      synced: 0,
      removed: 0,
      error: err.cause?.message ?? err.message,
    };
  }
}

/**
 * Refreshes the local copy of message templates. One account: its failure fails the workflow.
 * Several accounts (an organization's, or every one on the schedule): each failure is reported
 * in the result and the others go on.
 */
export async function templateSyncWorkflow(
  input: TemplateSyncInput = {},
): Promise<TemplateSyncResult> {
  let accounts: AccountTemplateSync[];
  if (input.accountId) {
    try {
      accounts = [await syncAccountTemplates(input.accountId)];
    } catch (err) {
      throw unwrap(err);
    }
  } else {
    const ids = await listTemplateSyncAccounts(input.orgId ?? null);
    accounts = [];
    for (let i = 0; i < ids.length; i += PARALLEL_ACCOUNTS) {
      accounts.push(...(await Promise.all(ids.slice(i, i + PARALLEL_ACCOUNTS).map(syncOne))));
    }
  }
  return {
    synced: accounts.reduce((n, a) => n + a.synced, 0),
    removed: accounts.reduce((n, a) => n + a.removed, 0),
    accounts,
  };
}

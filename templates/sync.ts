import { ApplicationFailure, type Client, WorkflowFailedError } from '@temporalio/client';
import { NotFoundError, ServiceUnavailableError, ValidationError } from '../lib/errors';
import { executeOrJoin } from '../lib/workflow-run';
import type { Store } from '../store';
import {
  TEMPLATE_SYNC_WORKFLOW,
  TemplateSyncFailure,
  type TemplateSyncInput,
  type TemplateSyncResult,
  type TemplateSyncWorkflow,
  templateSyncIds,
} from '../workflows/contracts/template-sync';

/** One account, or (none named) the organization's connected accounts. */
export interface SyncTemplatesRequest {
  account_id?: string;
}

export interface SyncTemplatesDeps {
  store: Store;
  temporal: Client;
  taskQueue: string;
}

/** Turns a failed sync into the answer its cause deserves. */
function syncError(err: unknown): unknown {
  if (!(err instanceof WorkflowFailedError)) return err;
  const cause = err.cause;
  const message = cause?.message ?? err.message;
  if (cause instanceof ApplicationFailure) {
    if (cause.type === TemplateSyncFailure.notFound) return new NotFoundError(message);
    if (cause.type === TemplateSyncFailure.disconnected) {
      return new ValidationError(message, 'account_disconnected');
    }
    if (cause.type === TemplateSyncFailure.rejected) return new ValidationError(message);
  }
  return new ServiceUnavailableError(`Template sync failed: ${message}`);
}

/**
 * Fetches the templates from Meta now and answers when done; a sync of the same scope already
 * running is joined instead of started again.
 */
export async function syncTemplates(
  { store, temporal, taskQueue }: SyncTemplatesDeps,
  orgId: string,
  req: SyncTemplatesRequest,
): Promise<TemplateSyncResult> {
  const accountId = req.account_id;
  let workflowId: string;
  let input: TemplateSyncInput;
  if (accountId) {
    if (!(await store.accounts.get(orgId, accountId))) {
      throw new NotFoundError(`Account '${accountId}' not found`);
    }
    workflowId = templateSyncIds.account(accountId);
    input = { accountId };
  } else {
    await store.accounts.ensureSandbox(orgId);
    workflowId = templateSyncIds.org(orgId);
    input = { orgId };
  }
  try {
    return await executeOrJoin<TemplateSyncWorkflow>(temporal, TEMPLATE_SYNC_WORKFLOW, {
      workflowId,
      taskQueue,
      args: [input],
    });
  } catch (err) {
    throw syncError(err);
  }
}

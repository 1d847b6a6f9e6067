import { Client, Connection } from '@temporalio/client';
import { executeOrJoin } from '../lib/workflow-run';
import type { Config } from '../lib/config';
import type { templateSyncWorkflow } from '../workflows/template-sync';
import { templateSyncIds } from '../workflows/contracts/template-sync';

/**
 * Fetches an organization's templates from the simulator now, so a new sandbox account can send
 * its templates at once instead of after the hourly sync. Resolves with how many were synced;
 * the workflow runs as soon as a worker is there.
 */
export async function syncSandboxTemplates(
  config: Config,
  orgId: string,
  timeoutMs = 60_000,
): Promise<number> {
  const connection = await Connection.connect({ address: config.temporal.address });
  try {
    const client = new Client({ connection, namespace: config.temporal.namespace });
    const run = executeOrJoin<typeof templateSyncWorkflow>(client, 'templateSyncWorkflow', {
      workflowId: templateSyncIds.org(orgId),
      taskQueue: config.temporal.taskQueue,
      args: [{ orgId }],
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no worker ran the template sync within ${timeoutMs / 1000} s`)),
        timeoutMs,
      );
    });
    try {
      return (await Promise.race([run, timeout])).synced;
    } finally {
      clearTimeout(timer);
    }
  } finally {
    await connection.close();
  }
}

import {
  WorkflowExecutionAlreadyStartedError,
  type Client,
  type WorkflowStartOptions,
} from '@temporalio/client';
import type { Workflow, WorkflowResultType } from '@temporalio/common';

/**
 * Starts the workflow under its business ID and waits for its result; when one with that ID
 * is already running, waits for that one instead of starting another.
 */
export async function executeOrJoin<T extends Workflow>(
  client: Client,
  workflowType: string,
  opts: WorkflowStartOptions<T>,
): Promise<WorkflowResultType<T>> {
  try {
    return await client.workflow.execute<T>(workflowType, opts);
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    return client.workflow.getHandle<T>(opts.workflowId).result();
  }
}

import type { Client } from '@temporalio/client';
import type { MessageDoc } from '../store/documents';
import {
  MESSAGE_RETRY_WORKFLOW,
  type MessageRetryInput,
  type MessageRetryWorkflow,
  type SendReport,
  messageRetryWorkflowId,
  sendReportSignal,
} from '../workflows/contracts/message-retry';

export interface RetryReporter {
  /** Starts the message's retry workflow if it is not running, and reports the failure. */
  retry(
    message: MessageDoc,
    report: Extract<SendReport, { kind: 'retry' | 'deferred' }>,
  ): Promise<void>;
  /** Tells a waiting retry workflow that the message left the queue. */
  settled(messageId: string): Promise<void>;
}

/** `delaysMs`: the retry schedule (`send.retryDelaysMs`), given to each workflow it starts. */
export function temporalRetryReporter(
  client: Client,
  taskQueue: string,
  delaysMs: readonly number[],
): RetryReporter {
  return {
    async retry(message, report) {
      const input: MessageRetryInput = {
        messageId: message._id,
        orgId: message.org_id,
        delaysMs: [...delaysMs],
      };
      await client.workflow.signalWithStart<MessageRetryWorkflow, [SendReport]>(
        MESSAGE_RETRY_WORKFLOW,
        {
          workflowId: messageRetryWorkflowId(message._id),
          taskQueue,
          args: [input],
          signal: sendReportSignal,
          signalArgs: [report],
        },
      );
    },
    async settled(messageId) {
      // Best effort: a workflow that misses it finds the message gone when it next looks.
      await client.workflow
        .getHandle(messageRetryWorkflowId(messageId))
        .signal(sendReportSignal, { kind: 'settled' })
        .catch(() => undefined);
    },
  };
}

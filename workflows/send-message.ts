import { ActivityFailure, ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { MessageActivities } from '../activities/messages';
import { SendFailure, type SendMessageInput, type SendMessageResult } from './definitions';

const { deliverMessage } = proxyActivities<MessageActivities>({
  startToCloseTimeout: '30 seconds',
  retry: {
    // Meta's throughput and maintenance errors clear within minutes; about 10 minutes in all.
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '2 minutes',
    maximumAttempts: 10,
    nonRetryableErrorTypes: [SendFailure.rejected, SendFailure.disconnected],
  },
});

const { markMessageFailed } = proxyActivities<MessageActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumInterval: '1 minute' },
});

/**
 * Sends one message through Meta, retrying what Meta refused for now. Its ID,
 * `message:<messageId>`, is what makes a repeated request send only once.
 */
export async function sendMessageWorkflow(input: SendMessageInput): Promise<SendMessageResult> {
  try {
    return await deliverMessage(input);
  } catch (err) {
    const cause = err instanceof ActivityFailure ? err.cause : undefined;
    if (cause instanceof ApplicationFailure && cause.nonRetryable) throw cause;
    // Retries ran out: the message is visibly failed with Meta's last answer.
    const last = cause instanceof ApplicationFailure ? cause : undefined;
    const [details] = (last?.details ?? []) as [{ code: number; message: string }?];
    const reason = details ?? { code: 0, message: last?.message ?? 'Message could not be sent' };
    await markMessageFailed(input, reason);
    throw ApplicationFailure.nonRetryable(reason.message, SendFailure.gaveUp, reason);
  }
}

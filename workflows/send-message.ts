import { ActivityFailure, ApplicationFailure, proxyLocalActivities } from '@temporalio/workflow';
import type { MessageActivities } from '../activities/messages';
import { SendFailure, type SendMessageInput, type SendMessageResult } from './definitions';

/** Failures the activity already recorded on the message: they end the send as they are. */
const FINAL: string[] = [SendFailure.rejected, SendFailure.disconnected];

// Local activities: a send is one short call, so it runs inside the workflow task instead of
// a round trip through an activity task queue; backoffs longer than a minute become durable
// timers all the same.
const { deliverMessage } = proxyLocalActivities<MessageActivities>({
  startToCloseTimeout: '30 seconds',
  retry: {
    // Meta's throughput and maintenance errors clear within minutes; about 10 minutes in all.
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '2 minutes',
    maximumAttempts: 10,
    nonRetryableErrorTypes: FINAL,
  },
});

const { markMessageFailed } = proxyLocalActivities<MessageActivities>({
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
    // A local activity's failure can reach the workflow unwrapped.
    const cause = err instanceof ActivityFailure ? err.cause : err;
    if (cause instanceof ApplicationFailure && FINAL.includes(cause.type ?? '')) {
      throw ApplicationFailure.nonRetryable(cause.message, cause.type, ...(cause.details ?? []));
    }
    // Retries ran out: the message is visibly failed with Meta's last answer.
    const last = cause instanceof ApplicationFailure ? cause : undefined;
    const [details] = (last?.details ?? []) as [{ code: number; message: string }?];
    const reason = details ?? { code: 0, message: last?.message ?? 'Message could not be sent' };
    await markMessageFailed(input, reason);
    throw ApplicationFailure.nonRetryable(reason.message, SendFailure.gaveUp, reason);
  }
}

import { condition, proxyActivities, setHandler, sleep } from '@temporalio/workflow';
import type { MessageActivities } from '../activities/messages';
import {
  DEFAULT_MESSAGE_RETRY_DELAYS_MS,
  type MessageRetryInput,
  type SendReport,
  sendReportSignal,
} from './contracts/message-retry';

const { releaseQueuedMessage, queuedMessageState, failQueuedMessage } =
  proxyActivities<MessageActivities>({
    startToCloseTimeout: '30 seconds',
    retry: { maximumInterval: '1 minute' },
  });

/** A report can be lost with the process that was to send it: look at the queue this often. */
const CHECK_EVERY = '10 minutes';

/**
 * The retries of one message, `message:<messageId>`: the dispatcher reports each failed
 * attempt here; after the schedule's wait the message goes back to its number's queue, where
 * the number's lane sends it again at its pace. The message fails once the schedule runs out.
 */
export async function messageRetryWorkflow(
  input: MessageRetryInput,
): Promise<'settled' | 'failed'> {
  const reports: SendReport[] = [];
  setHandler(sendReportSignal, (report) => void reports.push(report));
  const delays = input.delaysMs ?? DEFAULT_MESSAGE_RETRY_DELAYS_MS;
  let failures = 0;
  /**
   * 131049s so far. The n-th is sent again n × retryMs after the first: counted on that
   * schedule, the send that took a moment does not push the last retry past `maxMs`.
   */
  let deferrals = 0;
  /** Wamids whose 131049 status was taken already: a copy of the webhook is no second one. */
  const deferredWamids = new Set<string>();
  for (;;) {
    if (!(await condition(() => reports.length > 0, CHECK_EVERY))) {
      const state = await queuedMessageState(input.messageId);
      if (state === 'gone') return 'settled';
      if (state === 'held') {
        reports.push({ kind: 'retry', reason: { code: 0, message: 'No answer from Meta' } });
      }
      continue;
    }
    const report = reports.shift()!;
    if (report.kind === 'settled') return 'settled';
    if (report.kind === 'deferred') {
      if (report.wamid !== undefined) {
        if (deferredWamids.has(report.wamid)) continue;
        deferredWamids.add(report.wamid);
      }
      deferrals = Math.max(deferrals + 1, report.nth ?? 0);
      if (deferrals * report.retryMs > report.maxMs) {
        await failQueuedMessage(input.messageId, report.reason);
        return 'failed';
      }
      // A durable timer: the day's wait survives restarts of the worker and of Temporal.
      await sleep(report.retryMs);
      await releaseQueuedMessage(input.messageId);
      continue;
    }
    const wait = delays[failures++];
    if (wait === undefined) {
      await failQueuedMessage(input.messageId, report.reason);
      return 'failed';
    }
    await sleep(report.delayMs ?? wait);
    await releaseQueuedMessage(input.messageId);
  }
}

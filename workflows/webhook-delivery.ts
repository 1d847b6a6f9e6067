import { proxyLocalActivities, sleep } from '@temporalio/workflow';
import type { WebhookActivities } from '../activities/webhooks';
import {
  DEFAULT_WEBHOOK_RETRY_DELAYS_MS,
  type WebhookAttemptResult,
  type WebhookDeliveryInput,
} from './contracts/webhook-delivery';

// An attempt is one short POST (5 s at most) and one write: a local activity, retried only
// when the worker itself failed (the POST's own failures are answers, handled below).
const { attemptWebhookDelivery } = proxyLocalActivities<WebhookActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

/**
 * Delivers one event to one endpoint: attempts after 0 s, then after each of the input's retry
 * delays (by default 10 s, 60 s and 5 min; each wait counted from the previous attempt,
 * shortened by a Retry-After), then gives up. Its ID,
 * `webhook:<endpointId>:<eventId>`, makes the delivery unique; a replay is a new run of it.
 * It ends `held` when the endpoint's circuit is open: the delivery then waits in the endpoint's
 * backlog, and the circuit's workflow sends it.
 */
export async function webhookDeliveryWorkflow(
  input: WebhookDeliveryInput,
): Promise<WebhookAttemptResult['outcome']> {
  let { attempt, waitMs } = input;
  const delays = input.retryDelaysMs ?? DEFAULT_WEBHOOK_RETRY_DELAYS_MS;
  for (;;) {
    if (waitMs > 0) await sleep(waitMs);
    const retryDelayMs = delays[attempt - 1] ?? null;
    const { outcome, nextWaitMs } = await attemptWebhookDelivery(input, attempt, retryDelayMs);
    if (nextWaitMs === null) return outcome;
    waitMs = nextWaitMs;
    attempt++;
  }
}

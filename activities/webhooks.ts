import type { Deliverer } from '../webhooks/deliverer';
import type { WebhookDispatcher } from '../webhooks/dispatcher';
import type { Store } from '../store';
import type { WebhookAttemptResult, WebhookDeliveryInput } from '../workflows/definitions';

/** The sweep looks this far back on its first run, and this much before where it stopped. */
const FIRST_SWEEP_MS = 60 * 60_000;
const SWEEP_OVERLAP_MS = 2 * 60_000;

export function webhookActivities(deps: {
  store: Store;
  deliverer: Deliverer;
  dispatcher: WebhookDispatcher;
}) {
  const { store, deliverer, dispatcher } = deps;
  return {
    async attemptWebhookDelivery(
      input: WebhookDeliveryInput,
      attempt: number,
      retryDelayMs: number | null,
    ): Promise<WebhookAttemptResult> {
      const { result, record } = await deliverer.attempt(input, attempt, retryDelayMs);
      await store.webhookDeliveries.recordAttempts([record]);
      return result;
    },

    /** Resumes webhook deliveries a crash interrupted (see WebhookDispatcher.recover). */
    async recoverWebhookDeliveries(): Promise<{ dispatched: number; resumed: number }> {
      const last = await store.webhookDeliveries.recoveredThrough();
      const from = new Date(last ? last.getTime() - SWEEP_OVERLAP_MS : Date.now() - FIRST_SWEEP_MS);
      const { dispatched, resumed, through } = await dispatcher.recover(from);
      await store.webhookDeliveries.setRecoveredThrough(through);
      return { dispatched, resumed };
    },
  };
}

export type WebhookActivities = ReturnType<typeof webhookActivities>;

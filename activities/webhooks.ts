import type { CircuitDeadline } from '../webhooks/circuit';
import type { Deliverer } from '../webhooks/deliverer';
import type { WebhookDispatcher } from '../webhooks/dispatcher';
import type { Store } from '../store';
import type { WebhookCircuitInput } from '../workflows/contracts/webhook-circuit';
import type {
  WebhookAttemptResult,
  WebhookDeliveryInput,
} from '../workflows/contracts/webhook-delivery';

/** The sweep looks this far back on its first run, and this much before where it stopped. */
const FIRST_SWEEP_MS = 60 * 60_000;
const SWEEP_OVERLAP_MS = 2 * 60_000;

export function webhookActivities(deps: {
  store: Store;
  deliverer: Deliverer;
  dispatcher: WebhookDispatcher;
}) {
  const { store, dispatcher } = deps;
  const { circuit } = dispatcher;
  return {
    /** One attempt of a delivery's workflow (see WebhookDispatcher.attemptRetry). */
    attemptWebhookDelivery(
      input: WebhookDeliveryInput,
      attempt: number,
      retryDelayMs: number | null,
    ): Promise<WebhookAttemptResult> {
      return dispatcher.attemptRetry(input, attempt, retryDelayMs);
    },

    /** Resumes webhook deliveries a crash interrupted (see WebhookDispatcher.recover). */
    async recoverWebhookDeliveries(): Promise<{ dispatched: number; resumed: number }> {
      const last = await store.webhookDeliveries.recoveredThrough();
      const from = new Date(last ? last.getTime() - SWEEP_OVERLAP_MS : Date.now() - FIRST_SWEEP_MS);
      const { dispatched, resumed, through } = await dispatcher.recover(from);
      await store.webhookDeliveries.setRecoveredThrough(through);
      return { dispatched, resumed };
    },

    // The circuit workflow's steps (webhooks/circuit.ts).
    lookAtWebhookCircuit: (
      input: WebhookCircuitInput,
      at: number,
      waitMs: number,
      known: CircuitDeadline | null,
    ) => circuit.look(input, at, waitMs, known),
    probeWebhookEndpoint: (input: WebhookCircuitInput, nextProbeAt: number) =>
      circuit.probe(input, nextProbeAt),
    releaseWebhookBacklog: (input: WebhookCircuitInput, nextProbeAt: number) =>
      circuit.release(input, nextProbeAt),
    closeWebhookCircuit: (input: WebhookCircuitInput) => circuit.close(input),
    disableWebhookEndpoint: (input: WebhookCircuitInput, failingSince: number) =>
      circuit.disable(input, failingSince),
    endWebhookBacklog: (input: WebhookCircuitInput, outcome: 'failed' | 'skipped') =>
      circuit.end(input, outcome),
  };
}

export type WebhookActivities = ReturnType<typeof webhookActivities>;

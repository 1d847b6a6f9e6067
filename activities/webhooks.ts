import type { CircuitDeadline } from '../webhooks/circuit';
import type { Deliverer } from '../webhooks/deliverer';
import type { WebhookDispatcher } from '../webhooks/dispatcher';
import type { Store } from '../store';
import { sweepWebhookDeliveries } from '../webhooks/sweep';
import type { WebhookCircuitInput } from '../workflows/contracts/webhook-circuit';
import type {
  WebhookAttemptResult,
  WebhookDeliveryInput,
} from '../workflows/contracts/webhook-delivery';

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

    /** Resumes webhook deliveries a crash interrupted (webhooks/sweep.ts). */
    recoverWebhookDeliveries(): Promise<{ dispatched: number; resumed: number }> {
      return sweepWebhookDeliveries({ store, dispatcher });
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

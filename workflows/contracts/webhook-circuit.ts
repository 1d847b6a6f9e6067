/** One failing outbound webhook endpoint's circuit: `webhook-circuit:<endpointId>`. */

export const WEBHOOK_CIRCUIT_WORKFLOW = 'webhookCircuitWorkflow';

export const webhookCircuitWorkflowId = (endpointId: string) => `webhook-circuit:${endpointId}`;

/** When the circuit probes, and when it gives up. */
export interface WebhookCircuitInput {
  orgId: string;
  endpointId: string;
  /** The wait before the first probe, doubling after each failed one up to probeMaxMs. */
  probeFirstMs: number;
  probeMaxMs: number;
  /** An endpoint failing this long (from its failing_since) is disabled. */
  disableAfterMs: number;
  /**
   * How long the circuit, once closed, waits for deliveries parked by processes that had not
   * seen it close yet (their endpoint cache).
   */
  settleMs: number;
  /** Carried across continue-as-new: the wait before the next probe, */
  waitMs?: number;
  /** and when (workflow time) the endpoint failing since `failingSince` is to be disabled. */
  deadline?: { failingSince: number; at: number } | null;
}

/**
 * How a circuit ended: `closed` (the backlog went out and the endpoint is active), `idle`
 * (nothing parked to probe with; the next parked delivery starts it again), `disabled` (failed
 * for disableAfterMs; backlog failed), `gone` (answered 410), `skipped` (deleted or disabled
 * by hand; backlog skipped).
 */
export type WebhookCircuitOutcome = 'closed' | 'idle' | 'disabled' | 'gone' | 'skipped';

export type WebhookCircuitWorkflow = (input: WebhookCircuitInput) => Promise<WebhookCircuitOutcome>;

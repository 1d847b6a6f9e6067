/** One event's delivery to one outbound webhook endpoint: `webhook:<endpointId>:<eventId>`. */

export const WEBHOOK_DELIVERY_WORKFLOW = 'webhookDeliveryWorkflow';

export const webhookDeliveryWorkflowId = (endpointId: string, eventId: string) =>
  `webhook:${endpointId}:${eventId}`;

/**
 * Outbound webhooks' workflows (deliveries' retries and endpoints' circuits) run on a task queue
 * of their own beside the main one, so that a storm of them never delays a message send.
 */
export const webhookTaskQueue = (taskQueue: string) => `${taskQueue}-webhooks`;

/** One event going to one endpoint, from the given attempt on. */
export interface WebhookDeliveryInput {
  orgId: string;
  endpointId: string;
  eventId: string;
  eventType: string;
  /** The exact bytes every attempt sends (and signs). */
  body: string;
  /** 0 for the delivery, then 1, 2... for each replay. */
  run: number;
  /** The attempt this run starts with: 1, or 2 when the first was made before the workflow. */
  attempt: number;
  /** How long to wait before that attempt. */
  waitMs: number;
  /**
   * Waits before the 2nd, 3rd... attempt (`webhooks.retryDelaysMs` when the run started); after
   * the last one the delivery has failed.
   */
  retryDelaysMs?: readonly number[];
}

/**
 * The schedule of runs started without one in their input (before it was configurable): their
 * waits before the 2nd, 3rd and 4th attempt. The configured default is in lib/config.ts.
 */
export const DEFAULT_WEBHOOK_RETRY_DELAYS_MS = [10_000, 60_000, 300_000] as const;

export interface WebhookAttemptResult {
  /** `held`: the endpoint's circuit is open, and the delivery waits in its backlog. */
  outcome: 'delivered' | 'retrying' | 'failed' | 'gone' | 'skipped' | 'held';
  /** Before the next attempt; null when this one was the last. */
  nextWaitMs: number | null;
}

export type WebhookDeliveryWorkflow = (
  input: WebhookDeliveryInput,
) => Promise<WebhookAttemptResult['outcome']>;

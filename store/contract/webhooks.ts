import type {
  WebhookAttemptDoc,
  WebhookBacklogDoc,
  WebhookDispatchDoc,
  WebhookEndpointDoc,
  WebhookEndpointStatus,
} from '../documents';

export interface NewWebhookEndpoint {
  name: string;
  url: string;
  events: string[];
  /** Given with an Idempotency-Key: the id derived from it, and the request's fingerprint. */
  id?: string;
  requestHash?: string | null;
}

export interface WebhookEndpointChanges {
  name?: string;
  url?: string;
  events?: string[];
  /** Enabling (`active`) or disabling by hand. */
  status?: 'active' | 'disabled';
}

export interface WebhookEndpointRepository {
  create(
    orgId: string,
    input: NewWebhookEndpoint,
    /** The new endpoint, or the one already stored under `input.id` (`created` false). */
  ): Promise<{ endpoint: WebhookEndpointDoc; secret: string; created: boolean }>;
  /** Oldest first. */
  list(orgId: string): Promise<WebhookEndpointDoc[]>;
  get(orgId: string, id: string): Promise<WebhookEndpointDoc | null>;
  secretOf(endpoint: WebhookEndpointDoc): string;
  update(
    orgId: string,
    id: string,
    changes: WebhookEndpointChanges,
  ): Promise<WebhookEndpointDoc | null>;
  rotateSecret(orgId: string, id: string): Promise<string | null>;
  delete(orgId: string, id: string): Promise<boolean>;
  /**
   * What delivery learns about an endpoint. `from` names the status (or statuses) it must
   * still have, so a manual disable is never undone. Any status but `failing` closes the
   * circuit (`failing_since` and `next_probe_at` become null). Returns whether it changed.
   */
  setStatus(
    id: string,
    from: WebhookEndpointStatus | WebhookEndpointStatus[],
    to: WebhookEndpointStatus,
    reason: string | null,
  ): Promise<boolean>;
  /**
   * Opens an active or failing endpoint's circuit: `failing` with `reason`, failing since `at`.
   * One already open keeps its time and reason. Returns since when it is open; null when the
   * endpoint is disabled or gone.
   */
  openCircuit(id: string, at: Date, reason: string): Promise<Date | null>;
  /** When the open circuit probes next; nothing changes once the circuit is closed. */
  setNextProbe(id: string, at: Date | null): Promise<void>;
}

/** A parked delivery with what its next attempt sends (null once its claim was purged). */
export interface ParkedDelivery extends WebhookBacklogDoc {
  event_type: string | null;
  body: string | null;
}

/**
 * Deliveries waiting for their endpoint's circuit (workflows/webhook-circuit.ts). Unscoped: the
 * endpoint id names the organization's endpoint already.
 */
export interface WebhookBacklogRepository {
  /** Parks deliveries; one already parked stays as it was. */
  park(docs: WebhookBacklogDoc[]): Promise<void>;
  /** Those of the given ids (`<endpointId>:<eventId>:<run>`) that are parked. */
  parkedAmong(ids: string[]): Promise<WebhookBacklogDoc[]>;
  /** The endpoint's longest-waiting deliveries: by event time, then id. */
  oldest(endpointId: string, limit: number): Promise<ParkedDelivery[]>;
  /** After a failed try: the number the next one gets. */
  setAttempt(id: string, attempt: number): Promise<void>;
  remove(ids: string[]): Promise<void>;
  /**
   * Ends up to `limit` of the endpoint's parked deliveries without sending them: each gets its
   * last attempt record (`outcome`, `error`, no POST) and leaves the backlog. Returns how many.
   */
  end(
    endpointId: string,
    ending: { outcome: 'failed' | 'skipped'; error: string; at: Date },
    limit: number,
  ): Promise<number>;
  count(endpointId: string): Promise<number>;
  /** The endpoints that have parked deliveries (at most `limit`), by endpoint id. */
  endpoints(limit: number): Promise<{ endpoint_id: string; org_id: string }[]>;
}

export interface DispatchPage {
  limit: number;
  /** The last dispatch of the previous page. */
  after?: { created_at: Date; id: string };
}

export type AttemptSummary = Pick<
  WebhookAttemptDoc,
  '_id' | 'endpoint_id' | 'event_id' | 'run' | 'attempt' | 'outcome' | 'next_attempt_at'
>;

export interface WebhookDeliveryRepository {
  /** Claims events for delivery: returns the ids claimed here (the rest were claimed before). */
  claim(docs: WebhookDispatchDoc[]): Promise<Set<string>>;
  /** Records attempts; one already recorded (a retried activity) stays as it was. */
  recordAttempts(docs: WebhookAttemptDoc[]): Promise<void>;
  dispatch(eventId: string): Promise<WebhookDispatchDoc | null>;
  dispatchesSince(from: Date): Promise<WebhookDispatchDoc[]>;
  /** An endpoint's deliveries, newest first, without their bodies. */
  listForEndpoint(
    orgId: string,
    endpointId: string,
    page: DispatchPage,
  ): Promise<Omit<WebhookDispatchDoc, 'body'>[]>;
  /** By run, then attempt. */
  attemptsOf(endpointId: string, eventIds: string[]): Promise<WebhookAttemptDoc[]>;
  /** What the sweep needs of every attempt made since `from`. */
  attemptsSince(from: Date): Promise<AttemptSummary[]>;
  /** Deliveries (and their attempts) created before `before`; returns how many deliveries. */
  purgeBefore(before: Date): Promise<number>;
  /** How far the delivery sweep has looked. */
  recoveredThrough(): Promise<Date | null>;
  setRecoveredThrough(through: Date): Promise<void>;
}

import type { InboundWebhookDoc, MetaEventDoc, MetaEventState } from '../documents';

export interface InboundWebhookRepository {
  /**
   * One write for many webhooks: what lets the endpoint acknowledge thousands a second. Those
   * marked `processed` (already applied) are stored as processed.
   */
  saveMany(
    bodies: { provider: 'meta'; body: string; processed?: boolean }[],
  ): Promise<InboundWebhookDoc[]>;
  markProcessed(ids: string[]): Promise<void>;
  /** Counts a failed attempt, with its error and when the next one is due. */
  markFailed(id: string, error: string, nextAttemptAt: Date): Promise<void>;
  /** Counts the last failed attempt and parks the webhook until it is replayed. */
  markDead(id: string, error: string, orgIds: string[], at: Date): Promise<void>;
  /**
   * Webhooks to process: not processed, not dead, received `olderThanMs` before `now` and due
   * (never failed, or their next attempt's time has come); oldest first.
   */
  pending(olderThanMs: number, limit?: number, now?: Date): Promise<InboundWebhookDoc[]>;
  /**
   * Webhooks still to be processed (dead ones aside): how many, and when the oldest arrived
   * (null when none). For /metrics, on the pending index.
   */
  pendingStats(): Promise<{ count: number; oldestReceivedAt: Date | null }>;
  /** Dead webhooks, of every organization. For /metrics. */
  countDead(): Promise<number>;
  /** An organization's dead webhooks, most recently parked first. */
  listDead(orgId: string, limit: number): Promise<InboundWebhookDoc[]>;
  /**
   * Makes an organization's dead webhook pending again, its attempts counted from zero; the
   * webhook as it is now, or null when the organization has no such dead webhook.
   */
  revive(orgId: string, id: string): Promise<InboundWebhookDoc | null>;
  get(id: string): Promise<InboundWebhookDoc | null>;
  purgeProcessed(before: Date): Promise<number>;
}

export interface MetaEventQuery {
  field?: string;
  state?: MetaEventState;
  limit: number;
  /** The last one seen: newer ones come first. */
  before?: { received_at: Date; id: string };
}

/** Meta's account-level changes and what could not be matched, as processing left them. */
export interface MetaEventRepository {
  /**
   * Stores each once by id; processing one again (a replay) updates its state, reason and
   * organizations and keeps when it was first received.
   */
  record(docs: MetaEventDoc[]): Promise<void>;
  /** An organization's, newest first. */
  list(orgId: string, query: MetaEventQuery): Promise<MetaEventDoc[]>;
  /** Those that matched no account, of any organization: for /metrics. */
  countUnmatched(): Promise<number>;
  /** Deletes those received before `before`, matched or not; how many. */
  purgeBefore(before: Date): Promise<number>;
}

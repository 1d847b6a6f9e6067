import type { InboundWebhookDoc } from '../documents';

export interface InboundWebhookRepository {
  /** One write for many webhooks: what lets the endpoint acknowledge thousands a second. */
  saveMany(bodies: { provider: 'meta'; body: string }[]): Promise<InboundWebhookDoc[]>;
  markProcessed(ids: string[]): Promise<void>;
  markFailed(id: string, error: string): Promise<void>;
  /** Webhooks left unprocessed for `olderThanMs`, oldest first. */
  pending(olderThanMs: number, limit?: number): Promise<InboundWebhookDoc[]>;
  /**
   * Webhooks still to be processed (not those given up on after MAX_INBOUND_ATTEMPTS): how
   * many, and when the oldest arrived (null when none). For /metrics, on the pending index.
   */
  pendingStats(): Promise<{ count: number; oldestReceivedAt: Date | null }>;
  get(id: string): Promise<InboundWebhookDoc | null>;
  purgeProcessed(before: Date): Promise<number>;
}

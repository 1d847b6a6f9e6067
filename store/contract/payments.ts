import type {
  GatewaySettingsDoc,
  PaymentEventDoc,
  PaymentGateway,
  PaymentLinkDoc,
  PaymentLinkStatus,
} from '../documents';

/** Payment gateway keys, sealed at rest. */
export interface GatewaySettingsRepository {
  /** Replaces the organization's keys for the gateway. */
  put(
    orgId: string,
    gateway: PaymentGateway,
    keys: Record<string, string>,
    mode: GatewaySettingsDoc['mode'],
  ): Promise<GatewaySettingsDoc>;
  get(orgId: string, gateway: PaymentGateway): Promise<GatewaySettingsDoc | null>;
  /** Unscoped: a gateway webhook is told apart by the secret that signed it. */
  listForGateway(gateway: PaymentGateway): Promise<GatewaySettingsDoc[]>;
  keysOf(doc: GatewaySettingsDoc): Record<string, string>;
}

export type NewPaymentLink = Omit<
  PaymentLinkDoc,
  | 'created_at'
  | 'updated_at'
  | 'status'
  | 'status_history'
  | 'gateway_link_id'
  | 'url'
  | 'reminders_sent'
  | 'payment_id'
  | 'paid_at'
  | 'paid_after_close'
  | 'error'
  | 'link_message_id'
  | 'receipt_message_id'
>;

export interface PaymentLinkListQuery {
  limit: number;
  status?: PaymentLinkStatus;
  contactId?: string;
  /** The last link of the previous page. */
  before?: { created_at: Date; id: string };
}

/** Fields a status change may set beside the status. */
export type PaymentLinkOutcome = Partial<
  Pick<PaymentLinkDoc, 'payment_id' | 'paid_at' | 'paid_after_close' | 'error'>
>;

export interface PaymentLinkRepository {
  /** Inserts once: a second create of the same id returns the stored link (`created: false`). */
  create(link: NewPaymentLink, at?: Date): Promise<{ doc: PaymentLinkDoc; created: boolean }>;
  get(orgId: string, id: string): Promise<PaymentLinkDoc | null>;
  /** Unscoped: the link's workflow knows only its id. */
  byId(id: string): Promise<PaymentLinkDoc | null>;
  byGatewayLinkId(
    orgId: string,
    gateway: PaymentGateway,
    gatewayLinkId: string,
  ): Promise<PaymentLinkDoc | null>;
  /** Newest first. */
  list(orgId: string, q: PaymentLinkListQuery): Promise<PaymentLinkDoc[]>;
  /** Records the gateway's link; one already recorded is kept. */
  setGatewayLink(id: string, gatewayLinkId: string, url: string): Promise<PaymentLinkDoc | null>;
  setMessage(id: string, kind: 'link' | 'receipt', messageId: string): Promise<void>;
  /** Counts a reminder, once per `n` (the reminder's number): a retried activity counts it once. */
  countReminder(id: string, n: number): Promise<void>;
  /**
   * Moves the link to `to` (with its history entry and `fields`) only while its status is one of
   * `from`, atomically; returns the link as changed, or null when its status did not allow it.
   */
  transition(
    id: string,
    from: PaymentLinkStatus[],
    to: PaymentLinkStatus,
    at: Date,
    detail: string | null,
    fields?: PaymentLinkOutcome,
  ): Promise<PaymentLinkDoc | null>;
}

export type NewPaymentEvent = Omit<
  PaymentEventDoc,
  'received_at' | 'processed_at' | 'attempts' | 'last_error'
>;

/** The durable queue between a gateway webhook's answer and its link's workflow. */
export interface PaymentEventRepository {
  /**
   * Stores events in one write, each id once; returns those stored by this call (the others
   * were duplicates).
   */
  saveMany(events: NewPaymentEvent[], at?: Date): Promise<PaymentEventDoc[]>;
  markProcessed(ids: string[]): Promise<void>;
  markFailed(id: string, error: string): Promise<void>;
  /** Left unprocessed for `olderThanMs` (below MAX_PAYMENT_EVENT_ATTEMPTS), oldest first. */
  pending(olderThanMs: number, limit?: number): Promise<PaymentEventDoc[]>;
  get(id: string): Promise<PaymentEventDoc | null>;
}

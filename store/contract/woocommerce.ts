/**
 * A WhatsApp template a WooCommerce order status sends. Text parameters and links may hold
 * placeholders filled from the order (`{{first_name}}`, `{{order_number}}`, see
 * woocommerce/parameters.ts), each with an optional default after a bar.
 */
export interface WooTemplateMapping {
  name: string;
  /** The template's language code (`en`, `en_US`). */
  language: string;
  components: Record<string, unknown>[];
  /** A custom action run with the customer's contact and the order (`input`): its result's values fill `{{action.<key>}}`. */
  action_id?: string;
}

export interface WooStoreSettings {
  /** WooCommerce status (or `shipped`) → the template it sends; null sends nothing. */
  status_templates: Record<string, WooTemplateMapping | null>;
  /** One reminder for an order still unpaid (`pending`, `on-hold`) this long after it came. */
  pending_reminder: { enabled: boolean; delay_minutes: number; template: WooTemplateMapping };
  /** With `required`, only customers whose order carries `meta_key` (or opted-in contacts). */
  opt_in: { required: boolean; meta_key: string };
  max_messages_per_order: number;
}

export interface WooStoreDoc {
  _id: string;
  org_id: string;
  name: string;
  site_url: string;
  /** `site_url` as `siteKey` (store/woocommerce.ts) makes it: how the store-less URL finds it. */
  site_key: string;
  /** AES-256-GCM sealed webhook secret (lib/crypto.ts). */
  secret_enc: string;
  /** The WhatsApp account that sends; null: the organization's default. */
  account_id: string | null;
  settings: WooStoreSettings;
  created_at: Date;
  updated_at: Date;
}

export interface NewWooStore {
  name: string;
  site_url: string;
  /** Generated when not given. */
  secret?: string;
  account_id?: string | null;
  settings: WooStoreSettings;
}

export interface WooStoreChanges {
  name?: string;
  site_url?: string;
  secret?: string;
  account_id?: string | null;
  settings?: WooStoreSettings;
}

/** A signed WooCommerce delivery as received: stored once, then handed to its order's workflow. */
export interface WooDeliveryDoc {
  /** `<store_id>:<X-WC-Webhook-Delivery-ID>`: the dedup key. */
  _id: string;
  org_id: string;
  store_id: string;
  order_id: string;
  topic: string;
  /** The raw body exactly as signed. */
  body: string;
  received_at: Date;
  /** When its order's workflow got it; null until then. */
  handed_off_at: Date | null;
  attempts: number;
  last_error: string | null;
}

export type WooOrderOutcome =
  /** A message is in the send queue (`message_id`). */
  | 'queued'
  /** A message would have gone and did not (`reason`). */
  | 'skipped'
  /** Handled, and the store maps no template to it. */
  | 'unmapped'
  /** Seen, sends nothing: already handled, out of order, or after the order ended (`reason`). */
  | 'ignored'
  /** A reminder waits; its event's `at` is when it is due. */
  | 'scheduled'
  | 'cancelled';

/** One thing that happened to an order; `id` makes recording it again a no-op. */
export interface WooOrderEvent {
  id: string;
  kind: 'status' | 'reminder';
  at: Date;
  /** The status it was handled as (`shipped` for a completed order with tracking). */
  status: string | null;
  /** WooCommerce's own status on the delivery. */
  raw_status: string | null;
  outcome: WooOrderOutcome;
  reason: string | null;
  template: string | null;
  message_id: string | null;
  delivery_id: string | null;
}

export interface WooOrderDoc {
  /** `<store_id>:<order_id>` */
  _id: string;
  org_id: string;
  store_id: string;
  order_id: string;
  number: string | null;
  /** The furthest status handled. */
  status: string | null;
  contact_id: string | null;
  phone_number: string | null;
  total: string | null;
  currency: string | null;
  events: WooOrderEvent[];
  created_at: Date;
  updated_at: Date;
}

/** What the order's latest delivery says about it. */
export type WooOrderFields = Partial<
  Pick<WooOrderDoc, 'number' | 'status' | 'contact_id' | 'phone_number' | 'total' | 'currency'>
>;

export interface WooStoreRepository {
  create(orgId: string, input: NewWooStore): Promise<{ store: WooStoreDoc; secret: string }>;
  /** Oldest first. */
  list(orgId: string): Promise<WooStoreDoc[]>;
  get(orgId: string, id: string): Promise<WooStoreDoc | null>;
  /** Unscoped: a webhook names only the store. */
  byId(id: string): Promise<WooStoreDoc | null>;
  /**
   * Unscoped: at most `limit` stores, of any organization, whose site URL is `siteUrl` as
   * `siteKey` compares them (a webhook to the store-less URL names only its site).
   */
  bySiteUrl(siteUrl: string, limit: number): Promise<WooStoreDoc[]>;
  secretOf(store: WooStoreDoc): string;
  update(orgId: string, id: string, changes: WooStoreChanges): Promise<WooStoreDoc | null>;
  delete(orgId: string, id: string): Promise<boolean>;
}

export interface WooDeliveryRepository {
  /** One write for many; returns the ids stored now (the others were stored before). */
  saveMany(docs: WooDeliveryDoc[]): Promise<Set<string>>;
  markHandedOff(ids: string[]): Promise<void>;
  markFailed(id: string, error: string): Promise<void>;
  /** Deliveries not handed off for `olderThanMs`, below the attempt limit, oldest first. */
  pending(olderThanMs: number, limit?: number): Promise<WooDeliveryDoc[]>;
  get(id: string): Promise<WooDeliveryDoc | null>;
  purgeHandedOff(before: Date): Promise<number>;
}

export interface WooOrderPage {
  limit: number;
  /** The last order of the previous page. */
  before?: { updated_at: Date; id: string };
}

export interface WooOrderRepository {
  /**
   * Creates the order or sets `fields` on it, and appends `event` unless one with its id was
   * recorded already. Returns the order as it is now.
   */
  record(
    orgId: string,
    storeId: string,
    orderId: string,
    fields: WooOrderFields,
    event?: WooOrderEvent | null,
  ): Promise<WooOrderDoc>;
  get(orgId: string, storeId: string, orderId: string): Promise<WooOrderDoc | null>;
  /** Most recently updated first. */
  list(orgId: string, storeId: string, page: WooOrderPage): Promise<WooOrderDoc[]>;
}

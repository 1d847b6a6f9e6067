/** Stored shapes. Ids are UUID strings; every tenant-owned document carries `org_id`. */

export interface OrganizationDoc {
  _id: string;
  name: string;
  /** ISO 3166-1 alpha-2: the country of phone numbers given without a country code. */
  default_country: string | null;
  created_at: Date;
}

export interface UserDoc {
  _id: string;
  org_id: string;
  email: string;
  name: string;
  password_hash: string;
  created_at: Date;
}

export interface RateLimitOverride {
  per_minute: number;
  per_second: number;
}

export interface ApiKeyDoc {
  _id: string;
  org_id: string;
  name: string;
  prefix: string;
  key_hash: string;
  expires_at: Date | null;
  revoked_at: Date | null;
  rate_limit: RateLimitOverride | null;
  created_at: Date;
  last_used_at: Date | null;
}

export interface SessionDoc {
  _id: string;
  org_id: string;
  user_id: string;
  token_hash: string;
  expires_at: Date;
  created_at: Date;
}

/** An event recorded together with the change it describes. */
export interface OutboxEvent {
  id: string;
  type: string;
  timestamp: Date;
  data: Record<string, unknown>;
}

export interface EventDoc {
  _id: string;
  org_id: string;
  type: string;
  timestamp: Date;
  data: Record<string, unknown>;
  created_at: Date;
}

export interface AccountDoc {
  _id: string;
  org_id: string;
  name: string;
  phone_number_id: string;
  waba_id: string;
  display_phone_number: string | null;
  /** AES-256-GCM sealed (lib/crypto.ts). */
  access_token_enc: string;
  app_secret_enc: string;
  verify_token_enc: string;
  /** sha256 of the verify token, to find the account during Meta's GET handshake. */
  verify_token_hash: string;
  is_default: boolean;
  /** Messages per second this number may send (Meta: 80 by default, up to 1,000). */
  throughput: number;
  /** Onboarded to Meta's Marketing Messages API: MARKETING templates go to /marketing_messages. */
  marketing_messages: boolean;
  /** Shared with the WhatsApp Business app (coexistence): Meta allows it 20 messages/s at most. */
  coexistence: boolean;
  status: 'connected' | 'disconnected';
  status_reason: string | null;
  /** True for the account that talks to the built-in simulator. */
  sandbox: boolean;
  /** Base URL of the Graph API this account talks to (Meta, or the simulator). */
  graph_url: string;
  /**
   * The business portfolio's messaging limit as Meta names it (`TIER_250`, `TIER_2K`,
   * `TIER_10K`, `TIER_100K`, `TIER_UNLIMITED`); null until read from Graph or a webhook.
   */
  messaging_limit_tier: string | null;
  /** The number's quality rating (`GREEN`, `YELLOW`, `RED`, `UNKNOWN`); null until read. */
  quality_rating: string | null;
  /** When the tier or the quality rating was last learnt. */
  limit_checked_at: Date | null;
  /**
   * The Meta business portfolio that owns the WABA (Graph's `owner_business_info.id`), whose
   * accounts share the messaging limit; null until read.
   */
  portfolio_id: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface ContactDoc {
  _id: string;
  org_id: string;
  /** E.164, unique per organization; null for a customer known only by user id. */
  phone_number: string | null;
  /** Meta's business-scoped user id (BSUID, `US.1349…`), unique per organization. */
  user_id: string | null;
  parent_user_id: string | null;
  /** The customer's WhatsApp username, as last seen in a webhook. */
  username: string | null;
  name: string | null;
  email: string | null;
  tags: string[];
  stage: string | null;
  custom_fields: Record<string, unknown>;
  opted_in: boolean;
  /** The 24 h customer service window runs from the last inbound message. */
  last_inbound_at: Date | null;
  source: 'api' | 'bulk' | 'whatsapp_webhook' | 'woocommerce';
  created_at: Date;
  updated_at: Date;
}

export interface TransferDoc {
  _id: string;
  org_id: string;
  contact_id: string;
  from_agent_id: string | null;
  to_agent_id: string | null;
  to_team_id: string | null;
  notes: string | null;
  created_at: Date;
}

export interface TemplateDoc {
  /** `<account_id>:<name>:<language>` */
  _id: string;
  org_id: string;
  account_id: string;
  meta_id: string;
  name: string;
  language: string;
  category: string;
  status: string;
  components: Record<string, unknown>[];
  /** Placeholders per component: header and body counts, and one count per button. */
  parameter_counts: { header: number; body: number; buttons: number[] };
  /** The header's media format when it has one (IMAGE, VIDEO, DOCUMENT). */
  header_format: string | null;
  /** Meta's quality rating (GREEN, YELLOW, RED, UNKNOWN); null until Meta has given one. */
  quality_score: string | null;
  synced_at: Date;
}

export type MessageStatus = 'queued' | 'sent' | 'delivered' | 'read' | 'failed';

/**
 * What Meta charges for a message, from its statuses: `category` (`marketing`, `utility`,
 * `authentication`, `service`, `marketing_lite`...), `type` (`regular`, `free_customer_service`,
 * `free_entry_point`), `pricing_model` (`PMP` since July 2025, `CBP` before).
 */
export interface MessagePricing {
  billable: boolean | null;
  category: string | null;
  type: string | null;
  pricing_model: string | null;
}

/** The conversation Meta opened or used for a message, when its status says. */
export interface MessageConversation {
  id: string;
  origin_type: string | null;
  expires_at: Date | null;
}

export interface MessageDoc {
  /** Outbound: a UUID. Inbound: `in:<wamid>`, so a redelivered webhook cannot store it twice. */
  _id: string;
  org_id: string;
  account_id: string;
  contact_id: string;
  direction: 'outbound' | 'inbound';
  /** The customer's number; null for a customer known only by user id. */
  phone_number: string | null;
  /** The customer's business-scoped user id: where a message goes when there is no number. */
  user_id: string | null;
  type: string;
  /** The message object as sent to or received from Meta. */
  content: Record<string, unknown>;
  /** The message this one replies to (Meta's `context`), by wamid. Absent when it replies to none. */
  context?: { message_id: string } | null;
  origin:
    | 'api'
    | 'campaign'
    | 'sequence'
    | 'automation'
    | 'payment_link'
    | 'woocommerce'
    | 'custom_action'
    | 'whatsapp';
  origin_id: string | null;
  /** Fingerprint of the API request, when sent with an Idempotency-Key. */
  request_hash: string | null;
  wamid: string | null;
  status: MessageStatus;
  /**
   * Each status once, in arrival order; `deferred` entries note a `failed` status with 131049
   * that sent the message back to the queue, with the wamid it gave up.
   */
  status_history: {
    status: MessageStatus | 'deferred';
    at: Date;
    error?: { code: number; message: string };
    wamid?: string;
  }[];
  error: { code: number; message: string } | null;
  /**
   * Refused under Meta's per-user marketing cap (131049): still queued, sent again at `until`.
   * Absent or null when it never was.
   */
  deferred?: { until: Date; reason: { code: number; message: string } } | null;
  /** From the latest status that carried it; null until one did. */
  pricing: MessagePricing | null;
  conversation: MessageConversation | null;
  created_at: Date;
  updated_at: Date;
}

/** A provider webhook as received: stored before it is answered, processed after. */
export interface InboundWebhookDoc {
  _id: string;
  provider: 'meta';
  /** The raw body exactly as signed. */
  body: string;
  received_at: Date;
  processed_at: Date | null;
  /** Failed processing attempts so far. */
  attempts: number;
  last_error: string | null;
  /** When the sweep may try again after a failure; null before any. */
  next_attempt_at: Date | null;
  /** Set when its last attempt failed: no sweep takes it until it is replayed. */
  dead_at: Date | null;
  /** The organizations its numbers belonged to when it was parked dead: who may see it. */
  org_ids: string[];
}

/**
 * What became of one change of a Meta webhook that is not a message or status: `applied`
 * (Waflow acted on it), `stored` (kept for an operator to read), or `unmatched` (it names a
 * number, WABA or template Waflow does not have; `reason` says which).
 */
export type MetaEventState = 'applied' | 'stored' | 'unmatched';

export interface MetaEventDoc {
  /** Derived from the change, so a redelivery is stored once. */
  _id: string;
  /** The organizations of the accounts it is about; none when it matched no account. */
  org_ids: string[];
  /** `entry[].id`: the WhatsApp Business Account. */
  waba_id: string;
  phone_number_id: string | null;
  field: string;
  /** The change's value as Meta sent it. */
  value: Record<string, unknown>;
  state: MetaEventState;
  reason: string | null;
  received_at: Date;
}

export type WebhookEndpointStatus = 'active' | 'failing' | 'disabled';

/** Where an organization's outbound webhooks go. */
export interface WebhookEndpointDoc {
  _id: string;
  org_id: string;
  name: string;
  url: string;
  /** Event types, or `['*']` for every event. */
  events: string[];
  /** AES-256-GCM sealed `whsec_...` secret. */
  secret_enc: string;
  status: WebhookEndpointStatus;
  /** Why the endpoint is failing or disabled. */
  status_reason: string | null;
  /**
   * Since when its circuit is open: set once when it opens, cleared when the endpoint answers
   * again or is disabled. While set, its deliveries wait in its backlog (WebhookBacklogDoc).
   */
  failing_since: Date | null;
  /** When its circuit probes it next, while the circuit is open. */
  next_probe_at: Date | null;
  /** Fingerprint of the create request, when made with an Idempotency-Key. */
  request_hash: string | null;
  created_at: Date;
  updated_at: Date;
}

/**
 * One event handed to webhook delivery: the claim (its `_id` is the event id, so only one
 * process fans it out), the endpoints it goes to, and the exact body they are all sent.
 */
export interface WebhookDispatchDoc {
  _id: string;
  org_id: string;
  event_type: string;
  body: string;
  endpoint_ids: string[];
  created_at: Date;
}

/**
 * What an attempt led to: `delivered` (2xx), `retrying` (another attempt is scheduled),
 * `failed` (no attempt left), `gone` (410: the endpoint is disabled), `skipped` (the endpoint
 * was disabled or deleted before the attempt, so nothing was sent), `held` (the endpoint's
 * circuit is open: the delivery waits in its backlog, and no POST was made unless the record
 * has a status code or error of its own).
 */
export type WebhookAttemptOutcome =
  'delivered' | 'retrying' | 'failed' | 'gone' | 'skipped' | 'held';

/** One POST of one event to one endpoint; written once, never updated. */
export interface WebhookAttemptDoc {
  /** `<endpointId>:<eventId>:<run>:<attempt>` */
  _id: string;
  org_id: string;
  endpoint_id: string;
  event_id: string;
  /** 0 for the delivery itself, then 1, 2... for each replay. */
  run: number;
  /** 1 to 4 within a run; further ones while its endpoint's circuit holds it. */
  attempt: number;
  at: Date;
  status_code: number | null;
  latency_ms: number | null;
  error: string | null;
  outcome: WebhookAttemptOutcome;
  next_attempt_at: Date | null;
}

/**
 * A delivery waiting for its endpoint's circuit (workflows/webhook-circuit.ts), which releases
 * them oldest event first once the endpoint answers again.
 */
export interface WebhookBacklogDoc {
  /** `<endpointId>:<eventId>:<run>` */
  _id: string;
  org_id: string;
  endpoint_id: string;
  event_id: string;
  run: number;
  /** The number its next attempt gets. */
  attempt: number;
  /** Its claim's time: the backlog is released in this order. */
  event_at: Date;
  parked_at: Date;
}

export type CampaignStatus =
  'scheduled' | 'running' | 'paused' | 'completed' | 'cancelled' | 'failed';

/**
 * Why a campaign paused: `manual` (the API), `messaging_limit` (the portfolio's limit of users a
 * day is reached; it resumes by itself), `template` (its template can no longer be sent).
 */
export interface CampaignPauseReason {
  code: 'manual' | 'messaging_limit' | 'template';
  message: string;
}

/** Who a campaign goes to: every condition given must hold. Opted-out contacts never. */
export interface CampaignAudience {
  tags?: string[];
  /** `any` (default): at least one of the tags; `all`: every one. */
  tags_match?: 'any' | 'all';
  stage?: string;
  /** Country calling codes without `+` (`91`, `1`): the phone number starts with one. */
  country_codes?: string[];
  custom_field?: { key: string; value: string | number | boolean };
  contact_ids?: string[];
}

/**
 * What every recipient gets. Text may hold placeholders filled from the contact:
 * `{{name}}`, `{{phone_number}}`, `{{email}}`, `{{stage}}`, `{{custom_fields.<key>}}`, each
 * with an optional default after a bar (`{{name | there}}`).
 */
export type CampaignMessage =
  | {
      type: 'template';
      template: {
        name: string;
        /** The template's language code (`en`, `en_US`). */
        language: string;
        components: Record<string, unknown>[];
      };
      /** The action whose result fills `{{action.<key>}}` placeholders, run per recipient. */
      action_id?: string;
    }
  | { type: 'text'; text: string; action_id?: string };

export interface CampaignDoc {
  _id: string;
  org_id: string;
  account_id: string;
  name: string;
  audience: CampaignAudience;
  message: CampaignMessage;
  /** `anytime`: a template to everyone; `24h`: free-form, only where the window is open. */
  mode: 'anytime' | '24h';
  scheduled_at: Date | null;
  /** Messages a second, below the number's own; null: the number's. */
  throughput: number | null;
  status: CampaignStatus;
  /** Recipients, once the audience is snapshotted at start. */
  total: number | null;
  error: string | null;
  /** Why a paused campaign is paused; null when it is not, or was paused by hand before this was kept. */
  pause_reason: CampaignPauseReason | null;
  /** Fingerprint of the create request, when made with an Idempotency-Key. */
  request_hash: string | null;
  created_at: Date;
  started_at: Date | null;
  completed_at: Date | null;
  updated_at: Date;
}

/** `pending` until its message is queued, or `skipped` / `cancelled` without one. */
export type RecipientSnapshotState = 'pending' | 'queued' | 'skipped' | 'cancelled';

/** One contact of a campaign's audience as it was at start, in send order (`seq`). */
export interface CampaignRecipientDoc {
  campaign_id: string;
  contact_id: string;
  seq: number;
  phone_number: string | null;
  state: RecipientSnapshotState;
  message_id: string | null;
  /** Why it was skipped (`window closed`...). */
  reason: string | null;
}

/** A custom JavaScript action: its code is the body of an async function (see vm/). */
export interface ActionDoc {
  _id: string;
  org_id: string;
  /** Unique within the organization. */
  name: string;
  description: string | null;
  code: string;
  /** Why it no longer runs (it crashed its sandbox process again and again); new code clears it. */
  disabled_reason: string | null;
  disabled_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** How a run of an action ended: `ok`, or its error type (vm/types.ts). */
export type ActionRunOutcome =
  'ok' | 'syntax' | 'runtime' | 'timeout' | 'memory' | 'output' | 'busy' | 'crashed';

/** Who ran an action: an API key or session, a campaign, a workflow step. */
export interface ActionCaller {
  type: 'api' | 'campaign' | 'sequence' | 'woocommerce' | 'workflow' | 'automation';
  id: string | null;
}

/** One run of an action, as recorded (its result is not kept). */
export interface ActionRunDoc {
  _id: string;
  org_id: string;
  action_id: string;
  caller: ActionCaller;
  outcome: ActionRunOutcome;
  /** The error's message when the run did not return a result. */
  error: string | null;
  duration_ms: number;
  created_at: Date;
}

export type PaymentGateway = 'stripe' | 'razorpay';

/** An organization's keys for one payment gateway. */
export interface GatewaySettingsDoc {
  /** `<org_id>:<gateway>` */
  _id: string;
  org_id: string;
  gateway: PaymentGateway;
  /** From the keys' prefix (`sk_test_`, `rzp_live_`...). */
  mode: 'test' | 'live';
  /** The keys as JSON, AES-256-GCM sealed (lib/crypto.ts). */
  keys_enc: string;
  created_at: Date;
  updated_at: Date;
}

export type PaymentLinkStatus = 'created' | 'paid' | 'failed' | 'expired' | 'cancelled';

/** A payment link sent in chat; its workflow is `payment:<_id>`. No card data is ever stored. */
export interface PaymentLinkDoc {
  _id: string;
  org_id: string;
  contact_id: string;
  phone_number: string | null;
  account_id: string;
  /** In the currency's minor unit (paise, cents). */
  amount: number;
  currency: string;
  description: string;
  gateway: PaymentGateway;
  /** The gateway's id (`plink_...`) and payable URL, once created there. */
  gateway_link_id: string | null;
  url: string | null;
  reference_id: string | null;
  expires_at: Date;
  /** When the reminder goes if still unpaid; null: no reminder. */
  remind_at: Date | null;
  reminders_sent: number;
  status: PaymentLinkStatus;
  status_history: { status: PaymentLinkStatus; at: Date; detail: string | null }[];
  payment_id: string | null;
  paid_at: Date | null;
  /** Paid after the link expired or was cancelled: recorded (the gateway is the truth), flagged. */
  paid_after_close: boolean;
  /** Why it could not be created at the gateway. */
  error: string | null;
  link_message_id: string | null;
  receipt_message_id: string | null;
  /** Fingerprint of the create request, when made with an Idempotency-Key. */
  request_hash: string | null;
  created_at: Date;
  updated_at: Date;
}

export type PaymentEventKind = 'paid' | 'failed' | 'expired' | 'cancelled';

/**
 * A verified gateway webhook, stored once per gateway event id before it is answered, then
 * handed to its link's workflow.
 */
export interface PaymentEventDoc {
  /** `<gateway>:<gateway event id>` */
  _id: string;
  org_id: string;
  gateway: PaymentGateway;
  /** The gateway's event type (`checkout.session.completed`, `payment_link.paid`...). */
  type: string;
  kind: PaymentEventKind;
  /** Our link id, from the metadata/notes/reference id we gave the gateway. */
  link_id: string | null;
  gateway_link_id: string | null;
  payment_id: string | null;
  reason: string | null;
  received_at: Date;
  processed_at: Date | null;
  attempts: number;
  last_error: string | null;
}

/**
 * A media file Waflow keeps (media/): its bytes in the media store under `storage_key`, this
 * record in the database. An inbound one is recorded `pending` with its message and downloaded
 * in the background (`next_attempt_at` is when it is due, or until when a worker holds it);
 * an outbound one is recorded once stored.
 */
export interface MediaDoc {
  /** Inbound: its message's id (`in:<wamid>`), so a redelivered webhook records it once. */
  _id: string;
  org_id: string;
  account_id: string;
  direction: 'inbound' | 'outbound';
  mime_type: string;
  filename: string | null;
  /** Of the bytes stored; null until they are. */
  size: number | null;
  /** Hex sha256 of the bytes stored; null until they are. */
  sha256: string | null;
  storage_key: string;
  status: MediaStatus;
  /** The message it came with (inbound) or went with. */
  message_id: string | null;
  /** That message's type (`image`, `document`...): Meta's size limit depends on it. */
  message_type?: string | null;
  /** Meta's id of the file: given by the webhook (inbound), or by an upload (outbound). */
  meta_media_id: string | null;
  /** Download attempts begun (inbound). */
  attempts: number;
  /** A pending download's next attempt, or the end of a worker's hold on it; else null. */
  next_attempt_at: Date | null;
  /** Why the last attempt failed (and, once `failed`, why it was given up). */
  error: string | null;
  created_at: Date;
  stored_at: Date | null;
}

export type MediaStatus = 'pending' | 'stored' | 'failed';

/**
 * A media file uploaded to Meta for one account (outbound media): the id Meta gave it there,
 * which Meta forgets 30 days after `uploaded_at`.
 */
export interface MediaUploadDoc {
  /** `<media_id>:<account_id>` */
  _id: string;
  media_id: string;
  account_id: string;
  meta_media_id: string;
  uploaded_at: Date;
}

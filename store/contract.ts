import type { AccountChanges, AccountCredentials, NewAccount } from './accounts';
import type {
  BulkRowResult,
  ChangeResult,
  ContactInput,
  ContactPatch,
  ContactSource,
} from './contact-fields';
import type {
  AccountDoc,
  ActionDoc,
  ActionRunDoc,
  ApiKeyDoc,
  CampaignAudience,
  CampaignDoc,
  CampaignMessage,
  CampaignRecipientDoc,
  ContactDoc,
  EventDoc,
  InboundWebhookDoc,
  MessageDoc,
  MessageStatus,
  OrganizationDoc,
  RateLimitOverride,
  RecipientSnapshotState,
  SessionDoc,
  TemplateDoc,
  TransferDoc,
  UserDoc,
  WebhookAttemptDoc,
  WebhookBacklogDoc,
  WebhookDispatchDoc,
  WebhookEndpointDoc,
  WebhookEndpointStatus,
  GatewaySettingsDoc,
  PaymentEventDoc,
  PaymentGateway,
  PaymentLinkDoc,
  PaymentLinkStatus,
} from './documents';
import type { EventListener } from './event-feed';
import type { SandboxSettings } from './sandbox-account';
import type { SequenceRepository, SubscriptionRepository } from './sequence-types';
import type { Signals } from './signals';
import type { WooDeliveryRepository, WooOrderRepository, WooStoreRepository } from './woocommerce';

/**
 * The store: the only way the rest of Waflow reaches its data. PostgreSQL (store/postgres) and
 * MongoDB (store/mongo) implement it, and test/store runs one suite against both. Every method
 * scoped by organization takes `orgId` first; the few unscoped ones say why.
 */
export interface Store {
  organizations: OrganizationRepository;
  users: UserRepository;
  apiKeys: ApiKeyRepository;
  sessions: SessionRepository;
  accounts: AccountRepository;
  templates: TemplateRepository;
  contacts: ContactRepository;
  transfers: TransferRepository;
  messages: MessageRepository;
  events: EventRepository;
  outbox: OutboxRelay;
  inboundWebhooks: InboundWebhookRepository;
  webhookEndpoints: WebhookEndpointRepository;
  webhookDeliveries: WebhookDeliveryRepository;
  webhookBacklog: WebhookBacklogRepository;
  sendQueue: SendQueueRepository;
  sendLanes: SendLaneRepository;
  counters: CounterRepository;
  campaigns: CampaignRepository;
  wooStores: WooStoreRepository;
  wooDeliveries: WooDeliveryRepository;
  wooOrders: WooOrderRepository;
  actions: ActionRepository;
  gatewaySettings: GatewaySettingsRepository;
  paymentLinks: PaymentLinkRepository;
  paymentEvents: PaymentEventRepository;
  sequences: SequenceRepository;
  sequenceSubscriptions: SubscriptionRepository;
}

/** An open store with its connection: what processes hold and close. */
export interface StoreHandle {
  kind: 'postgres' | 'mongo';
  store: Store;
  signals: Signals;
  /** Answers when the database does (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface OrganizationRepository {
  create(name: string): Promise<OrganizationDoc>;
  get(id: string): Promise<OrganizationDoc | null>;
  /** The oldest organization (the dev stack's own). */
  first(): Promise<OrganizationDoc | null>;
}

export interface UserRepository {
  /** Emails are unique, whatever their case: a second one is a ConflictError. */
  create(orgId: string, input: { email: string; name: string; password: string }): Promise<UserDoc>;
  /** Unscoped: login is what tells the organization. */
  findByEmail(email: string): Promise<UserDoc | null>;
  get(orgId: string, id: string): Promise<UserDoc | null>;
}

export interface NewApiKey {
  name: string;
  expiresAt?: Date | null;
  rateLimit?: RateLimitOverride | null;
}

export interface ApiKeyRepository {
  /** The stored record and the key itself, which is never stored or shown again. */
  create(orgId: string, input: NewApiKey): Promise<{ doc: ApiKeyDoc; key: string }>;
  /** Newest first. */
  list(orgId: string): Promise<ApiKeyDoc[]>;
  get(orgId: string, id: string): Promise<ApiKeyDoc | null>;
  /** Revokes once; revoking again keeps the first revocation time. */
  revoke(orgId: string, id: string, at?: Date): Promise<ApiKeyDoc | null>;
  /** Unscoped: the key is what tells the organization. */
  findByKey(key: string): Promise<ApiKeyDoc | null>;
  touch(id: string, at?: Date): Promise<void>;
}

export interface SessionRepository {
  create(orgId: string, userId: string, ttlMs: number): Promise<{ doc: SessionDoc; token: string }>;
  findActive(token: string, now?: Date): Promise<SessionDoc | null>;
  delete(token: string): Promise<boolean>;
  purgeExpired(now?: Date): Promise<number>;
}

export interface AccountRepository {
  /**
   * The organization's account on the simulator (with `sandbox`, or in sandbox mode), created
   * on first use; null when there is no simulator.
   */
  ensureSandbox(orgId: string, sandbox?: SandboxSettings | null): Promise<AccountDoc | null>;
  /** A phone_number_id already connected anywhere is a ConflictError. */
  create(orgId: string, input: NewAccount): Promise<AccountDoc>;
  /** Oldest first; in sandbox mode the sandbox account is created on the way. */
  list(orgId: string): Promise<AccountDoc[]>;
  get(orgId: string, id: string): Promise<AccountDoc | null>;
  /** Unscoped: for the worker, which gets account ids from already-scoped callers. */
  findById(id: string): Promise<AccountDoc | null>;
  /** The given account, or the organization's default; null when there is none. */
  resolve(orgId: string, id: string | null): Promise<AccountDoc | null>;
  /** Unscoped: an inbound webhook names the number, which tells the organization. */
  findByPhoneNumberId(phoneNumberId: string): Promise<AccountDoc | null>;
  /** Unscoped: Meta's subscription handshake only carries the verify token. */
  findByVerifyToken(token: string): Promise<AccountDoc | null>;
  credentials(doc: AccountDoc): AccountCredentials;
  /** Connected accounts of one organization, or of all of them (scheduled sync). */
  listConnected(orgId?: string | null): Promise<AccountDoc[]>;
  /** Applies the given fields only; a new access token reconnects the account. */
  update(orgId: string, id: string, changes: AccountChanges): Promise<AccountDoc | null>;
  /** Deletes the account; if it was the default, the oldest remaining one takes over. */
  remove(orgId: string, id: string): Promise<AccountDoc | null>;
  markDisconnected(id: string, reason: string): Promise<void>;
}

export interface TemplateFilter {
  accountId?: string;
  status?: string;
  name?: string;
}

export interface TemplateRepository {
  upsert(docs: TemplateDoc[]): Promise<void>;
  /** Deletes the account's templates whose ids are not in `keep` (gone from Meta). */
  removeOthers(accountId: string, keep: string[]): Promise<number>;
  removeForAccount(accountId: string): Promise<number>;
  /** By name, language, then account. */
  list(orgId: string, filter?: TemplateFilter): Promise<TemplateDoc[]>;
  /**
   * The template to send: the exact language when one is given; otherwise an English one
   * (`en`, `en_US`...) if there is one, else the first.
   */
  find(
    orgId: string,
    accountId: string,
    name: string,
    language?: string | null,
  ): Promise<TemplateDoc | null>;
}

export interface ContactListQuery {
  page: number;
  limit: number;
  /** Part of the name (any case) or of the phone number (with or without '+'). */
  search?: string;
  tag?: string;
  stage?: string;
}

/**
 * Contacts, unique by phone number within an organization. Every change is recorded with its
 * contact.created / contact.updated event; see OutboxRelay for when the event is visible.
 */
export interface ContactRepository {
  get(orgId: string, id: string): Promise<ContactDoc | null>;
  findByPhone(orgId: string, phone: string): Promise<ContactDoc | null>;
  /** Newest first; `total` counts every contact the filters match. */
  list(orgId: string, q: ContactListQuery): Promise<{ contacts: ContactDoc[]; total: number }>;
  /** Throws a ConflictError when the organization already has the phone number. */
  create(orgId: string, input: ContactInput, source?: ContactSource): Promise<ContactDoc>;
  /** The organization's contact for `phone`, created from `source` when there is none. */
  ensure(orgId: string, phone: string, source: ContactSource): Promise<ContactDoc>;
  /** Applies the given fields; null when the contact does not exist in the organization. */
  update(orgId: string, id: string, patch: ContactPatch): Promise<ChangeResult | null>;
  /**
   * Upserts by phone number, a result per row: the first row for an unknown number creates
   * the contact (source 'bulk'), the others update it in their order; a failing row never
   * affects the others.
   */
  upsertMany(orgId: string, rows: readonly ContactInput[]): Promise<BulkRowResult[]>;
  /** Deletes for good, never losing a change's event with it. */
  delete(orgId: string, id: string): Promise<boolean>;
  /**
   * An inbound WhatsApp message from `phone` at `at`: a new number becomes an opted-in contact
   * named from the profile; a known one gets its last inbound time moved forward (never back)
   * and its name filled if it had none. Concurrent calls for a new number create one contact.
   * Its events are visible when this returns.
   */
  recordInbound(
    orgId: string,
    phone: string,
    opts: { name?: string | null; at: Date },
  ): Promise<{ contact: ContactDoc; created: boolean }>;
}

export interface NewTransfer {
  contactId: string;
  fromAgentId?: string | null;
  toAgentId?: string | null;
  toTeamId?: string | null;
  notes?: string | null;
}

export interface TransferRepository {
  /** Recorded with its transfer.created event; the caller checks the contact's organization. */
  create(orgId: string, input: NewTransfer): Promise<TransferDoc>;
  get(orgId: string, id: string): Promise<TransferDoc | null>;
}

export type NewMessage = Omit<MessageDoc, 'created_at' | 'updated_at' | 'status_history' | 'error'>;

export type StatusReason = { code: number; message: string };

export interface MessageRepository {
  /** Inserts once; a second insert of the same id returns the stored message. */
  insert(message: NewMessage, at?: Date): Promise<{ doc: MessageDoc; created: boolean }>;
  get(orgId: string, id: string): Promise<MessageDoc | null>;
  /** Unscoped: status webhooks name the message only by its wamid. */
  byWamid(wamid: string): Promise<MessageDoc | null>;
  /** Unscoped, by our own id (echoed back by Meta in biz_opaque_callback_data). */
  byId(id: string): Promise<MessageDoc | null>;
  /** Records Meta's id for a message; never replaces one already recorded. */
  setWamid(id: string, wamid: string): Promise<void>;
  /** Meta accepted the message: its wamid and the `sent` status. */
  recordSent(id: string, wamid: string, at?: Date): Promise<void>;
  /**
   * Applies a status atomically: the history gets each status once, the current status only
   * moves forward (`failed` is final). Safe to repeat, concurrently and in any order.
   */
  applyStatus(
    id: string,
    status: MessageStatus,
    at: Date,
    error?: StatusReason | null,
  ): Promise<void>;
  /**
   * Applies many statuses in as few writes as the store allows, with the same guarantees as
   * `applyStatus`; a status whose message is found only by `messageId` records its wamid.
   * Returns, per update (same order), the message it applied to, or null when none matched.
   */
  applyStatuses(updates: StatusUpdate[]): Promise<(MessageDoc | null)[]>;
  /** A contact's messages, newest first, after a (time, id) cursor. */
  history(
    orgId: string,
    contactId: string,
    opts: { limit: number; beforeTime?: Date; beforeId?: string },
  ): Promise<MessageDoc[]>;
}

/** One status fact from a Meta webhook, for `applyStatuses`. */
export interface StatusUpdate {
  /** The organization of the number the webhook came for: a message of another is not touched. */
  orgId: string;
  wamid: string;
  /** Our message id, echoed by Meta in biz_opaque_callback_data. */
  messageId: string | null;
  status: Exclude<MessageStatus, 'queued'>;
  at: Date;
  error: StatusReason | null;
}

/**
 * Transactional messages (API sends, WooCommerce, payment links) are claimed before bulk ones
 * (campaigns, sequences) of the same number.
 */
export type SendClass = 'transactional' | 'bulk';

/** A message's place in its number's send queue. */
export interface SendQueueEntry {
  message_id: string;
  account_id: string;
  class: SendClass;
  /** Not claimed before this time (throughput, pair rate). */
  not_before: Date;
  owner: string | null;
  lease_until: Date | null;
  /** Claims since the entry was last released: above 1, an earlier claim's outcome is unknown. */
  claims: number;
  /** Waiting for its retry workflow (`message:<id>`), not claimable. */
  held: boolean;
  /** A retry workflow waits for this entry's outcome. */
  retrying: boolean;
  created_at: Date;
}

export interface ClaimedSend {
  message: MessageDoc;
  entry: SendQueueEntry;
}

export type SendOutcome =
  /** Meta accepted it: the message is `sent` with its wamid, and leaves the queue. */
  | { id: string; kind: 'sent'; wamid: string; at: Date }
  /** Final: the message is `failed` with the reason, and leaves the queue. */
  | { id: string; kind: 'failed'; reason: StatusReason; at: Date }
  /** Not sent: claimable again from `notBefore` (throughput, pair rate), its claims reset. */
  | { id: string; kind: 'later'; notBefore: Date }
  /** Its retry workflow decides when it is claimable again. */
  | { id: string; kind: 'held' };

export interface SendQueueRepository {
  /**
   * Stores messages `queued` with their queue entries, each message and its entry in one write.
   * A message id already stored is returned as stored (`created: false`), not queued again.
   */
  enqueue(
    messages: NewMessage[],
    cls: SendClass,
    at?: Date,
  ): Promise<{ doc: MessageDoc; created: boolean }[]>;
  /**
   * Claims up to `limit` due entries of one account for `owner` until `leaseMs` from now:
   * transactional before bulk, then oldest first. An entry whose lease ran out is due again.
   */
  claim(
    accountId: string,
    owner: string,
    opts: { limit: number; leaseMs: number },
  ): Promise<ClaimedSend[]>;
  /**
   * Records outcomes and their events (`message.sent`, `message.failed`) in one transaction
   * where the store has them. `later` and `held` apply only while `owner` holds the claim.
   */
  settle(owner: string, outcomes: SendOutcome[], events: EventDoc[]): Promise<void>;
  /** A held entry becomes claimable at `notBefore`, its claims reset; false if it is gone. */
  release(id: string, notBefore: Date): Promise<boolean>;
  entry(id: string): Promise<SendQueueEntry | null>;
  /** Accounts with entries due now, at most `limit`. */
  dueAccounts(limit: number): Promise<string[]>;
  /** Entries per account and class (held ones included); all accounts when none are named. */
  depths(accountIds?: string[]): Promise<Map<string, Record<SendClass, number>>>;
}

/** Who sends for a number: one process at a time, so its throughput holds across processes. */
export interface SendLaneDoc {
  account_id: string;
  owner: string | null;
  lease_until: Date | null;
  /** Messages a second over the owner's last few seconds. */
  rate: number;
  updated_at: Date;
}

export interface SendLaneRepository {
  /** Takes the lane if free or expired, or renews it for its owner; true when `owner` holds it. */
  acquire(accountId: string, owner: string, leaseMs: number): Promise<boolean>;
  /** Reports the owner's current send rate (ignored unless `owner` holds the lane). */
  report(accountId: string, owner: string, rate: number): Promise<void>;
  /** Gives the lane up, so another process can take it at once. */
  release(accountId: string, owner: string): Promise<void>;
  list(accountIds?: string[]): Promise<SendLaneDoc[]>;
}

/** A cluster-wide monotonic counter, for `/metrics`. */
export interface CounterSample {
  name: string;
  /** Label values, e.g. `{ account_id, code }`. */
  labels: Record<string, string>;
  value: number;
}

export interface CounterRepository {
  /** Adds each sample's value to its counter (one write for all). */
  add(samples: CounterSample[]): Promise<void>;
  list(): Promise<CounterSample[]>;
}

export interface EventRepository {
  /**
   * Records an event whose id is derived from what happened (`message.read:<wamid>`), so the
   * same fact arriving twice is recorded once. Returns whether it was new.
   */
  record(
    orgId: string,
    id: string,
    type: string,
    data: Record<string, unknown>,
    at?: Date,
  ): Promise<boolean>;
  /** Records many events in one write, skipping ids already stored; returns those inserted. */
  recordMany(events: EventDoc[]): Promise<EventDoc[]>;
  /** Calls `listener` with the events this process records from now on. */
  onRecorded(listener: EventListener): () => void;
  /** Events recorded in [from, to), oldest first, a page at a time, for the delivery sweep. */
  recordedBetween(from: Date, to: Date, limit: number, after?: EventDoc): Promise<EventDoc[]>;
  get(id: string): Promise<EventDoc | null>;
  purgeBefore(before: Date): Promise<number>;
  /** Newest first. */
  list(orgId: string, filter?: { type?: string }, limit?: number): Promise<EventDoc[]>;
}

/** The sources whose changes carry events. */
export type OutboxCollection = 'contacts' | 'transfers';

/**
 * Makes the events written with a change visible in `events`. PostgreSQL writes them in the
 * change's own transaction, so it has nothing to flush; MongoDB keeps them in the changed
 * document until flushed (see store/mongo/outbox.ts). Callers flush after writing, and a
 * periodic sweep catches what a crash left.
 */
export interface OutboxRelay {
  flush(collection: OutboxCollection, id: string): Promise<number>;
  flushMany(collection: OutboxCollection, ids: readonly string[]): Promise<number>;
  sweep(limit?: number): Promise<number>;
}

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

export interface NewWebhookEndpoint {
  name: string;
  url: string;
  events: string[];
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
  ): Promise<{ endpoint: WebhookEndpointDoc; secret: string }>;
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

export interface NewCampaign {
  name: string;
  accountId: string;
  audience: CampaignAudience;
  message: CampaignMessage;
  mode: CampaignDoc['mode'];
  scheduledAt: Date | null;
  throughput: number | null;
}

/**
 * A recipient as the API shows it: its snapshot state, and once queued its message's status
 * (`queued` in the send queue, `sent`, `delivered`, `read`, `failed`).
 */
export type RecipientState = Exclude<RecipientSnapshotState, 'queued'> | MessageStatus;

export interface RecipientView {
  contact_id: string;
  seq: number;
  phone_number: string;
  state: RecipientState;
  message_id: string | null;
  wamid: string | null;
  error: StatusReason | null;
  reason: string | null;
}

export type CampaignCounts = Record<
  | 'total'
  | 'pending'
  | 'queued'
  | 'sent'
  | 'delivered'
  | 'read'
  | 'failed'
  | 'skipped'
  | 'cancelled',
  number
>;

export interface CampaignRepository {
  create(orgId: string, input: NewCampaign): Promise<CampaignDoc>;
  get(orgId: string, id: string): Promise<CampaignDoc | null>;
  /** Unscoped: the campaign's workflow knows only its id. */
  byId(id: string): Promise<CampaignDoc | null>;
  /** Newest first, after a (created_at, id) cursor. */
  list(
    orgId: string,
    page: { limit: number; before?: { created_at: Date; id: string } },
  ): Promise<CampaignDoc[]>;
  update(
    id: string,
    patch: Partial<Pick<CampaignDoc, 'status' | 'started_at' | 'completed_at' | 'error' | 'total'>>,
  ): Promise<CampaignDoc | null>;
  /** Contacts the audience matches now (opted-out excluded, one per phone number). */
  audienceSize(orgId: string, audience: CampaignAudience): Promise<number>;
  /** The first `limit` of them, in send order. */
  audienceSample(orgId: string, audience: CampaignAudience, limit: number): Promise<ContactDoc[]>;
  /**
   * Writes the recipients, the audience as it is now in send order, once: a second call writes
   * nothing. Returns how many recipients the campaign has.
   */
  snapshot(campaign: CampaignDoc): Promise<number>;
  /** Pending recipients after `afterSeq`, in order, with their contacts as they are now. */
  nextRecipients(
    campaignId: string,
    afterSeq: number,
    limit: number,
  ): Promise<{ recipient: CampaignRecipientDoc; contact: ContactDoc | null }[]>;
  /** Records what became of recipients: queued (with their message), skipped or cancelled. */
  markRecipients(
    campaignId: string,
    updates: {
      contact_id: string;
      state: Exclude<RecipientSnapshotState, 'pending'>;
      message_id: string | null;
      reason: string | null;
    }[],
  ): Promise<void>;
  /** Every pending recipient becomes cancelled; returns how many. */
  cancelPending(campaignId: string): Promise<number>;
  /** Recipients whose message is still in the send queue. */
  inQueue(campaignId: string): Promise<number>;
  counts(campaignId: string): Promise<CampaignCounts>;
  /** In send order after `afterSeq`, optionally of one state. */
  recipients(
    campaignId: string,
    q: { limit: number; afterSeq?: number; state?: RecipientState },
  ): Promise<RecipientView[]>;
}

export interface NewAction {
  name: string;
  description: string | null;
  code: string;
}

/** Custom JavaScript actions and the record of their runs. */
export interface ActionRepository {
  /** A name the organization already uses is a ConflictError. */
  create(orgId: string, input: NewAction): Promise<ActionDoc>;
  /** By name. */
  list(orgId: string): Promise<ActionDoc[]>;
  get(orgId: string, id: string): Promise<ActionDoc | null>;
  /** Applies the given fields; a name already used by another action is a ConflictError. */
  update(orgId: string, id: string, changes: Partial<NewAction>): Promise<ActionDoc | null>;
  /** Deletes the action and the record of its runs. */
  delete(orgId: string, id: string): Promise<boolean>;
  /** Records runs in one write (a campaign batch records its recipients' runs together). */
  recordRuns(runs: ActionRunDoc[]): Promise<void>;
  /** An action's runs, newest first, after a (created_at, id) cursor. */
  runs(
    orgId: string,
    actionId: string,
    page: { limit: number; before?: { created_at: Date; id: string } },
  ): Promise<ActionRunDoc[]>;
}

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

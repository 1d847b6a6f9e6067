import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { CampaignStatus, PaymentEventKind, PaymentLinkStatus } from '../store/documents';

/**
 * What the API and the worker share about workflows: their types' names, their business IDs,
 * and (as capabilities arrive) their signals, queries and updates.
 */

export const workflowIds = {
  cleanup: () => 'cleanup',
  recovery: () => 'recovery',
  templateSyncAccount: (accountId: string) => `templates-sync:${accountId}`,
  templateSyncOrg: (orgId: string) => `templates-sync:org:${orgId}`,
  templateSyncAll: () => 'templates-sync:all',
  message: (messageId: string) => `message:${messageId}`,
  campaign: (campaignId: string) => `campaign:${campaignId}`,
  payment: (paymentLinkId: string) => `payment:${paymentLinkId}`,
  sequence: (sequenceId: string, contactId: string) => `sequence:${sequenceId}:${contactId}`,
  webhookDelivery: (endpointId: string, eventId: string) => `webhook:${endpointId}:${eventId}`,
  webhookCircuit: (endpointId: string) => `webhook-circuit:${endpointId}`,
  wooOrder: (storeId: string, orderId: string) => `woo:${storeId}:${orderId}`,
};

/**
 * Outbound webhooks' workflows (deliveries' retries and endpoints' circuits) run on a task queue
 * of their own beside the main one, so that a storm of them never delays a message send.
 */
export const webhookTaskQueue = (taskQueue: string) => `${taskQueue}-webhooks`;

export const scheduleIds = {
  cleanup: 'cleanup',
  recovery: 'recovery',
  templateSync: 'templates-sync',
};

export interface CleanupResult {
  sessionsPurged: number;
  webhooksPurged: number;
  /** Events and outbound webhook deliveries older than EVENT_RETENTION_DAYS. */
  eventsPurged: number;
  deliveriesPurged: number;
}

export interface RecoveryResult {
  /** Events copied from outboxes that a crash left unflushed. */
  eventsRecovered: number;
  /** Stored provider webhooks processed after their API process left them. */
  webhooksRecovered: number;
  /** Webhook deliveries (event × endpoint) first made by the sweep, not when recorded. */
  deliveriesDispatched: number;
  /** Webhook deliveries whose first attempt or retry workflow a crash had cut off. */
  deliveriesResumed: number;
  /** WooCommerce deliveries stored but not given to their order's workflow by their API process. */
  wooDeliveriesHandedOff: number;
  /** Gateway webhooks stored but not handed to their payment links' workflows. */
  paymentEventsRecovered: number;
  /** Sequence subscriptions recorded but left unstarted by their API process. */
  subscriptionsStarted: number;
}

/** One account, one organization's connected accounts, or (neither) every connected account. */
export interface TemplateSyncInput {
  accountId?: string;
  orgId?: string;
}

export interface AccountTemplateSync {
  account_id: string;
  synced: number;
  removed: number;
  /** Why this account's sync failed (several-account syncs go on with the others). */
  error: string | null;
}

export interface TemplateSyncResult {
  synced: number;
  removed: number;
  accounts: AccountTemplateSync[];
}

/** Failure types a template sync can end with. */
export const TemplateSyncFailure = {
  disconnected: 'AccountDisconnected',
  notFound: 'AccountNotFound',
  rejected: 'TemplateListRejected',
} as const;

/** A message that Meta refused for now, or whose send's outcome is unknown. */
export interface MessageRetryInput {
  messageId: string;
  orgId: string;
}

export type SendReport =
  /** The attempt failed and can be made again, after `delayMs` or the retry schedule's wait. */
  | { kind: 'retry'; reason: { code: number; message: string }; delayMs?: number }
  /** The message left the queue: sent, or failed for good. */
  | { kind: 'settled' };

/** What the dispatcher reports to a message's retry workflow. */
export const sendReportSignal = defineSignal<[SendReport]>('sendReport');

/** Waits after the 1st, 2nd, ... failed attempt of a message: about 10 minutes in all. */
export const MESSAGE_RETRY_DELAYS_MS = [
  1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 120_000, 120_000,
] as const;

/** Waits before the 2nd, 3rd and 4th attempt of a webhook delivery; then it has failed. */
export const WEBHOOK_RETRY_DELAYS_MS = [10_000, 60_000, 300_000] as const;

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
}

export interface WebhookAttemptResult {
  /** `held`: the endpoint's circuit is open, and the delivery waits in its backlog. */
  outcome: 'delivered' | 'retrying' | 'failed' | 'gone' | 'skipped' | 'held';
  /** Before the next attempt; null when this one was the last. */
  nextWaitMs: number | null;
}

/** One failing endpoint's circuit: when it probes, and when it gives up. */
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

/** A campaign's workflow input; `progress` carries a run's state into the next (continue-as-new). */
export interface CampaignInput {
  campaignId: string;
  orgId: string;
  progress?: CampaignProgress;
}

export interface CampaignProgress {
  status: CampaignStatus;
  /** The last recipient (by `seq`) handed to the send queue or skipped. */
  cursor: number;
  queued: number;
  skipped: number;
  /** Recipients, once the audience is snapshotted. */
  total: number | null;
}

/** What pause, resume and cancel answer: the campaign's status once the workflow took it. */
export const pauseCampaignUpdate = defineUpdate<CampaignStatus>('pauseCampaign');
export const resumeCampaignUpdate = defineUpdate<CampaignStatus>('resumeCampaign');
export const cancelCampaignUpdate = defineUpdate<CampaignStatus>('cancelCampaign');
export const campaignProgressQuery = defineQuery<CampaignProgress>('campaignProgress');

/** One WooCommerce order's notifications, `woo:<storeId>:<orderId>`. */
export interface WooOrderInput {
  orgId: string;
  storeId: string;
  orderId: string;
  /** Carried across continue-as-new; a new run otherwise reads it from the store. */
  state?: WooOrderState;
}

export interface WooOrderState {
  /** WooCommerce statuses received. */
  seenRaw: string[];
  /** Statuses handled (sent, skipped or unmapped), each once. */
  handled: string[];
  /** The furthest status rank handled (woocommerce/statuses.ts); -1 before any. */
  rank: number;
  /** Messages queued for the order, reminder included, and the store's maximum. */
  sent: number;
  maxMessages: number;
  reminder: { state: 'scheduled' | 'sent' | 'skipped' | 'cancelled'; dueAt: number } | null;
  /** The latest delivery handled: what a reminder is written from. */
  lastDelivery: string | null;
  /** Delivery ids already taken (the newest few): a hand-off repeated after a crash. */
  deliveries: string[];
}

/** A stored delivery (`<storeId>:<deliveryId>`) for the order's workflow. */
export interface WooDeliverySignal {
  delivery: string;
}

export const wooDeliverySignal = defineSignal<[WooDeliverySignal]>('wooDelivery');
export const wooOrderStateQuery = defineQuery<WooOrderState>('wooOrderState');
/** A payment link's workflow input. */
export interface PaymentLinkInput {
  linkId: string;
  orgId: string;
}

/** A gateway webhook, handed to its link's workflow. */
export interface PaymentGatewayEvent {
  /** `<gateway>:<gateway event id>` */
  eventId: string;
  kind: PaymentEventKind;
  paymentId: string | null;
  reason: string | null;
  /** When Waflow received it, epoch ms. */
  at: number;
}

export const paymentEventSignal = defineSignal<[PaymentGatewayEvent]>('paymentEvent');
/** Cancels an unpaid link; answers the link's status once the workflow took it. */
export const cancelPaymentLinkUpdate = defineUpdate<PaymentLinkStatus>('cancelPaymentLink');
/** One contact's run of a sequence: `sequence:<sequenceId>:<contactId>`. */
export interface SequenceInput {
  orgId: string;
  sequenceId: string;
  contactId: string;
  run: number;
  /** When its first step is due (epoch ms, the delivery schedule applied). */
  firstAt: number;
}

export interface SequenceStepInput {
  sequenceId: string;
  contactId: string;
  run: number;
  step: number;
  /** The workflow's time (epoch ms): everything the step decides is as of then. */
  at: number;
}

export type SequenceStepResult =
  /** Wait until `at` (epoch ms), then run `step`. */
  | { kind: 'wait'; step: number; at: number }
  | { kind: 'done'; state: 'completed' | 'exited'; reason: string | null };

export interface SequenceOutcome {
  state: 'completed' | 'exited';
  reason: string | null;
}

/** An exit rule was met (opt-out, reply, goal tag, unsubscribed): the run stops at once. */
export const exitSequenceSignal = defineSignal<[string]>('exitSequence');

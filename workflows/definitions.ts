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
  webhookDelivery: (endpointId: string, eventId: string) => `webhook:${endpointId}:${eventId}`,
};

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

/** One outbound message, validated and resolved by the caller (API, campaign, sequence...). */
export interface SendMessageInput {
  messageId: string;
  orgId: string;
  accountId: string;
  contactId: string;
  /** E.164 */
  phoneNumber: string;
  type: string;
  /** Meta's object for the type (`{body}` for text, `{name, language, components}`...). */
  content: Record<string, unknown>;
  origin: 'api' | 'campaign' | 'sequence' | 'payment_link' | 'woocommerce' | 'custom_action';
  originId: string | null;
  /** Fingerprint of the request, to refuse an Idempotency-Key reused for another request. */
  requestHash: string | null;
}

export interface SendMessageResult {
  messageId: string;
  wamid: string;
}

/** Failure types a send can end with; their details carry `{ code, message }`. */
export const SendFailure = {
  rejected: 'MessageRejected',
  disconnected: 'AccountDisconnected',
  gaveUp: 'MessageNotSent',
} as const;

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
  outcome: 'delivered' | 'retrying' | 'failed' | 'gone' | 'skipped';
  /** Before the next attempt; null when this one was the last. */
  nextWaitMs: number | null;
}

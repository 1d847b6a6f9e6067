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
};

export const scheduleIds = {
  cleanup: 'cleanup',
  recovery: 'recovery',
  templateSync: 'templates-sync',
};

export interface CleanupResult {
  sessionsPurged: number;
  webhooksPurged: number;
}

export interface RecoveryResult {
  /** Events copied from outboxes that a crash left unflushed. */
  eventsRecovered: number;
  /** Stored provider webhooks processed after their API process left them. */
  webhooksRecovered: number;
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

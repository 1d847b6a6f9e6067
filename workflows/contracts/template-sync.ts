/** Refreshing the local copy of message templates: one account, an organization's, or all. */

export const TEMPLATE_SYNC_WORKFLOW = 'templateSyncWorkflow';

export const templateSyncIds = {
  account: (accountId: string) => `templates-sync:${accountId}`,
  org: (orgId: string) => `templates-sync:org:${orgId}`,
  all: () => 'templates-sync:all',
};

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

export type TemplateSyncWorkflow = (input?: TemplateSyncInput) => Promise<TemplateSyncResult>;

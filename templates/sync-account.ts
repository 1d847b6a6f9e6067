import { refreshMessagingLimit } from '../accounts/messaging-limit';
import { headerFormat, parameterCounts } from '../meta/template-parameters';
import type { MetaClient, MetaTemplate } from '../meta/client';
import { MetaApiError } from '../meta/errors';
import type { Store } from '../store';
import type { AccountDoc, TemplateDoc } from '../store/documents';
import { templateId } from '../store/templates';
import {
  type AccountTemplateSync,
  TemplateSyncFailure,
} from '../workflows/contracts/template-sync';

/** A WABA has at most a few thousand templates; a longer list means a cursor that loops. */
const MAX_PAGES = 500;

/** A sync that trying again cannot fix; `type` is one of TemplateSyncFailure. */
export class TemplateSyncError extends Error {
  constructor(
    readonly type: (typeof TemplateSyncFailure)[keyof typeof TemplateSyncFailure],
    message: string,
  ) {
    super(message);
    this.name = 'TemplateSyncError';
  }
}

function toDoc(account: AccountDoc, t: MetaTemplate, syncedAt: Date): TemplateDoc {
  const components = Array.isArray(t.components) ? t.components : [];
  return {
    _id: templateId(account._id, t.name, t.language),
    org_id: account.org_id,
    account_id: account._id,
    meta_id: t.id,
    name: t.name,
    language: t.language,
    category: t.category,
    status: t.status,
    components,
    parameter_counts: parameterCounts(components),
    header_format: headerFormat(components),
    quality_score: t.quality_score?.score ?? null,
    synced_at: syncedAt,
  };
}

/** The accounts a sync covers: the organization's connected ones, or everyone's (null). */
export async function templateSyncAccounts(
  { store }: { store: Store },
  orgId: string | null,
): Promise<string[]> {
  return (await store.accounts.listConnected(orgId)).map((a) => a._id);
}

/**
 * Copies the account's templates from Meta, page by page, then deletes the local ones Meta
 * no longer lists. Every write is an idempotent upsert, so a retry after a failed page
 * simply starts over. Throws a TemplateSyncError when trying again cannot help.
 */
export async function syncAccountTemplates(
  { store, meta }: { store: Store; meta: MetaClient },
  accountId: string,
): Promise<AccountTemplateSync> {
  const account = await store.accounts.findById(accountId);
  if (!account) {
    throw new TemplateSyncError(TemplateSyncFailure.notFound, `Account '${accountId}' not found`);
  }
  const target = {
    graphUrl: account.graph_url,
    accessToken: store.accounts.credentials(account).accessToken,
    wabaId: account.waba_id,
  };
  const syncedAt = new Date();
  const seen = new Set<string>();
  let after: string | null = null;
  try {
    for (let pages = 0; ; pages++) {
      if (pages === MAX_PAGES) {
        throw new TemplateSyncError(
          TemplateSyncFailure.rejected,
          `Meta's template list did not end after ${MAX_PAGES} pages`,
        );
      }
      const page = await meta.listTemplates(target, { after });
      const docs = page.templates.map((t) => toDoc(account, t, syncedAt));
      await store.templates.upsert(docs);
      for (const d of docs) seen.add(d._id);
      if (!page.after) break;
      after = page.after;
    }
  } catch (err) {
    if (!(err instanceof MetaApiError)) throw err;
    if (err.kind === 'disconnected') {
      await store.accounts.markDisconnected(account._id, err.metaMessage);
      throw new TemplateSyncError(
        TemplateSyncFailure.disconnected,
        `Account disconnected: ${err.metaMessage}. Update the account's access_token to reconnect it.`,
      );
    }
    if (err.kind === 'fatal') {
      throw new TemplateSyncError(
        TemplateSyncFailure.rejected,
        `Meta refused the template list: ${err.message}`,
      );
    }
    // Throttling, server errors and lost connections: Temporal retries the whole sync.
    throw err;
  }
  const removed = await store.templates.removeOthers(account._id, [...seen]);
  // The hourly sync also keeps the portfolio's messaging limit and the quality rating fresh.
  await refreshMessagingLimit({ store, meta }, account);
  return { account_id: account._id, synced: seen.size, removed, error: null };
}

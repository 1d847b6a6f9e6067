import { NotFoundError, ValidationError } from '../lib/errors';
import { mediaRefProblem, mediaRefsOf } from '../media/references';
import type { Store } from '../store';
import type { WooStoreDoc, WooStoreSettings } from '../store/contract/woocommerce';
import {
  defaultWooSettings,
  mergeWooSettings,
  settingsActions,
  settingsMappings,
  settingsProblems,
  type WooSettingsInput,
} from './settings';

/** What a store is changed with: each part given replaces (templates: merges into) the current. */
export interface WooStoreRequest extends WooSettingsInput {
  name?: string;
  site_url?: string;
  /** The webhook's secret in WooCommerce; generated when not given. */
  webhook_secret?: string;
  whatsapp_account?: string | null;
}

/** What a store is connected with. */
export interface NewWooStoreRequest extends WooStoreRequest {
  name: string;
  site_url: string;
}

/** Where webhooks find the stores they verify: a store created or changed is dropped from it. */
export interface WooStoreDeps {
  store: Store;
  cached: { delete(storeId: string): void };
}

/** A store with its webhook secret, in clear. */
export interface WooStoreWithSecret {
  doc: WooStoreDoc;
  secret: string;
}

export async function findWooStore(
  { store }: { store: Store },
  orgId: string,
  id: string,
): Promise<WooStoreDoc> {
  const doc = await store.wooStores.get(orgId, id);
  if (!doc) throw new NotFoundError(`WooCommerce store '${id}' not found`);
  return doc;
}

/**
 * The settings the request makes of `current`; refuses unknown placeholders, actions and
 * accounts, and uploaded media ids that are not the organization's files of the header's kind.
 */
async function settingsFrom(
  store: Store,
  orgId: string,
  current: WooStoreSettings,
  req: WooStoreRequest,
): Promise<{ settings: WooStoreSettings; accountId: string | null | undefined }> {
  const settings = mergeWooSettings(current, req);
  const [problem] = settingsProblems(settings);
  if (problem) throw new ValidationError(problem);
  for (const actionId of settingsActions(settings)) {
    if (!(await store.actions.get(orgId, actionId))) {
      throw new NotFoundError(`Action '${actionId}' not found`);
    }
  }
  for (const [where, mapping] of settingsMappings(settings)) {
    // An id made of placeholders is known only once an order fills it in.
    const refs = mediaRefsOf('template', { components: mapping.components }, where).filter(
      (ref) => !ref.id.includes('{{'),
    );
    const mediaProblem = await mediaRefProblem(store, orgId, refs);
    if (mediaProblem) throw new ValidationError(mediaProblem, 'invalid_media');
  }
  if (req.whatsapp_account && !(await store.accounts.get(orgId, req.whatsapp_account))) {
    throw new NotFoundError(`WhatsApp account '${req.whatsapp_account}' not found`);
  }
  return { settings, accountId: req.whatsapp_account };
}

/** Connects a store: the default settings with the request's over them. */
export async function createWooStore(
  { store, cached }: WooStoreDeps,
  orgId: string,
  req: NewWooStoreRequest,
): Promise<WooStoreWithSecret> {
  const { settings, accountId } = await settingsFrom(store, orgId, defaultWooSettings(), req);
  const created = await store.wooStores.create(orgId, {
    name: req.name,
    site_url: req.site_url,
    secret: req.webhook_secret,
    account_id: accountId ?? null,
    settings,
  });
  // Its site may be cached as having no store.
  cached.delete(created.store._id);
  return { doc: created.store, secret: created.secret };
}

/** Oldest first, without secrets. */
export function listWooStores({ store }: { store: Store }, orgId: string) {
  return store.wooStores.list(orgId);
}

export async function getWooStore(
  deps: { store: Store },
  orgId: string,
  id: string,
): Promise<WooStoreWithSecret> {
  const doc = await findWooStore(deps, orgId, id);
  return { doc, secret: deps.store.wooStores.secretOf(doc) };
}

export async function updateWooStore(
  deps: WooStoreDeps,
  orgId: string,
  id: string,
  req: WooStoreRequest,
): Promise<WooStoreWithSecret> {
  const { store } = deps;
  const current = await findWooStore(deps, orgId, id);
  const { settings, accountId } = await settingsFrom(store, orgId, current.settings, req);
  const doc = await store.wooStores.update(orgId, current._id, {
    name: req.name,
    site_url: req.site_url,
    secret: req.webhook_secret,
    account_id: accountId,
    settings,
  });
  if (!doc) throw new NotFoundError(`WooCommerce store '${current._id}' not found`);
  deps.cached.delete(doc._id);
  return { doc, secret: store.wooStores.secretOf(doc) };
}

/** Disconnects a store: its webhooks are refused from now on. */
export async function deleteWooStore(deps: WooStoreDeps, orgId: string, id: string) {
  if (!(await deps.store.wooStores.delete(orgId, id))) {
    throw new NotFoundError(`WooCommerce store '${id}' not found`);
  }
  deps.cached.delete(id);
}

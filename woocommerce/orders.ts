import { NotFoundError, ValidationError } from '../lib/errors';
import type { Store } from '../store';
import type { WooOrderDoc } from '../store/contract/woocommerce';
import type { MessageDoc } from '../store/documents';
import { findWooStore } from './stores';

/** An order with the messages its events name, as they are now. */
export interface WooOrderWithMessages {
  doc: WooOrderDoc;
  messages: Map<string, MessageDoc | null>;
}

/** A page of orders, most recently updated first, after an (updated_at, id) cursor. */
export interface WooOrdersPage {
  limit: number;
  before_time?: string;
  before_id?: string;
}

async function withMessages(store: Store, doc: WooOrderDoc): Promise<WooOrderWithMessages> {
  const ids = doc.events.flatMap((e) => (e.message_id ? [e.message_id] : []));
  const messages = new Map<string, MessageDoc | null>();
  for (const id of ids) messages.set(id, await store.messages.get(doc.org_id, id));
  return { doc, messages };
}

export async function listWooOrders(
  deps: { store: Store },
  orgId: string,
  storeId: string,
  page: WooOrdersPage,
): Promise<WooOrderWithMessages[]> {
  const { store } = deps;
  const shop = await findWooStore(deps, orgId, storeId);
  if ((page.before_time === undefined) !== (page.before_id === undefined)) {
    throw new ValidationError('before_time and before_id go together');
  }
  const docs = await store.wooOrders.list(orgId, shop._id, {
    limit: page.limit,
    before: page.before_time
      ? { updated_at: new Date(page.before_time), id: page.before_id! }
      : undefined,
  });
  const orders = [];
  for (const doc of docs) orders.push(await withMessages(store, doc));
  return orders;
}

export async function getWooOrder(
  deps: { store: Store },
  orgId: string,
  storeId: string,
  orderId: string,
): Promise<WooOrderWithMessages> {
  const shop = await findWooStore(deps, orgId, storeId);
  const doc = await deps.store.wooOrders.get(orgId, shop._id, orderId);
  if (!doc) throw new NotFoundError(`Order '${orderId}' not found`);
  return withMessages(deps.store, doc);
}

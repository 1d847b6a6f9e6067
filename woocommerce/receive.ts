import { sha256Hex } from '../lib/crypto';
import { ConflictError, NotFoundError, UnauthorizedError, ValidationError } from '../lib/errors';
import type { Store } from '../store';
import type { WooDeliveryDoc, WooStoreDoc } from '../store/contract/woocommerce';
import { siteKey, wooDeliveryKey } from '../store/woocommerce';
import { orderIdOf } from './order';
import { isWooPing, validWooSignature } from './signature';

/** The order topics handled; WooCommerce's others are acknowledged and dropped. */
const TOPICS = new Set(['order.created', 'order.updated']);

/** A store as its webhooks verify it. */
export interface KnownWooStore {
  store: WooStoreDoc;
  secret: string;
}

export interface ReceiveDeps {
  store: Store;
  /** Stores and their secrets, reused a while: a sale day sends thousands of webhooks a second. */
  cached: {
    getOrLoad(id: string, load: () => Promise<KnownWooStore | null>): Promise<KnownWooStore | null>;
  };
  /** Site keys (store/woocommerce.ts) → the ids of the stores with that site, at most two. */
  sites: {
    getOrLoad(key: string, load: () => Promise<string[]>): Promise<string[]>;
  };
  intake: { accept(doc: WooDeliveryDoc): Promise<boolean> };
}

/** A webhook call as WooCommerce made it: the exact bytes it signed, and its headers. */
export interface WooWebhookRequest {
  storeId: string;
  body: Buffer;
  contentType?: string;
  signature?: string;
  topic?: string;
}

/** A webhook call to the store-less URL: WooCommerce names its site in X-WC-Webhook-Source. */
export type WooSiteWebhookRequest = Omit<WooWebhookRequest, 'storeId'> & { source?: string };

export interface WooWebhookReceipt {
  received: true;
  duplicate?: boolean;
  ignored?: boolean;
}

/**
 * WooCommerce's ping, or a signed order delivery: stored before it is answered, then handed to
 * its order's workflow in the background. A delivery is known by its store and the hash of its
 * exact bytes, so a redelivery is a duplicate. Not by `X-WC-Webhook-Delivery-ID`: the signature
 * does not cover it, and WooCommerce makes it `wp_hash(webhook_id . time())`, the same for two
 * changes of an order within one second. (Deliveries stored under it keep their keys: their
 * order's workflow knows them by these.)
 */
export async function receiveWooWebhook(
  deps: ReceiveDeps,
  req: WooWebhookRequest,
): Promise<WooWebhookReceipt> {
  const known = await deps.cached.getOrLoad(req.storeId, async () => {
    const store = await deps.store.wooStores.byId(req.storeId);
    return store && { store, secret: deps.store.wooStores.secretOf(store) };
  });
  if (!known) throw new NotFoundError(`WooCommerce store '${req.storeId}' not found`);
  const { body, signature } = req;
  if (!signature && isWooPing(body, req.contentType)) return { received: true };
  if (!signature) throw new UnauthorizedError('Missing X-WC-Webhook-Signature');
  if (!validWooSignature(known.secret, body, signature)) {
    throw new UnauthorizedError('Invalid webhook signature');
  }
  const topic = req.topic ?? '';
  if (!TOPICS.has(topic)) return { received: true, ignored: true };

  let order: unknown;
  try {
    order = JSON.parse(body.toString('utf8'));
  } catch {
    throw new ValidationError('Body is not valid JSON');
  }
  const orderId = orderIdOf(order);
  if (!orderId) throw new ValidationError('id: the order has no valid id');
  const { store } = known;
  const created = await deps.intake.accept({
    _id: wooDeliveryKey(store._id, sha256Hex(body.toString('utf8'))),
    org_id: store.org_id,
    store_id: store._id,
    order_id: orderId,
    topic,
    body: body.toString('utf8'),
    received_at: new Date(),
    handed_off_at: null,
    attempts: 0,
    last_error: null,
  });
  return { received: true, ...(created ? {} : { duplicate: true }) };
}

/**
 * A webhook call to the store-less URL (the reference's): the store is the one whose site URL
 * is `X-WC-Webhook-Source`, then all goes as on its own URL (signature first). WooCommerce's
 * ping carries no source: it is answered as every store's own URL answers it.
 */
export async function receiveWooSiteWebhook(
  deps: ReceiveDeps,
  req: WooSiteWebhookRequest,
): Promise<WooWebhookReceipt> {
  const { source, ...rest } = req;
  if (!source) {
    if (!req.signature && isWooPing(req.body, req.contentType)) return { received: true };
    throw new ValidationError(
      'Missing X-WC-Webhook-Source: the store-less URL finds the store by the site WooCommerce ' +
        "names there; use the store's delivery_url (/api/webhooks/woocommerce/<store id>)",
    );
  }
  const key = siteKey(source);
  const ids = await deps.sites.getOrLoad(key, async () =>
    (await deps.store.wooStores.bySiteUrl(source, 2)).map((s) => s._id),
  );
  const [storeId] = ids;
  if (!storeId) {
    throw new NotFoundError(
      `No WooCommerce store has the site URL '${source}' (X-WC-Webhook-Source)`,
    );
  }
  if (ids.length > 1) {
    throw new ConflictError(
      `More than one WooCommerce store has the site URL '${source}': use each store's own ` +
        'delivery_url (/api/webhooks/woocommerce/<store id>) instead of /api/webhooks/woocommerce',
    );
  }
  return receiveWooWebhook(deps, { ...rest, storeId });
}

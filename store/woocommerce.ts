import { encryptSecret } from '../lib/crypto';
import type {
  NewWooStore,
  WooOrderDoc,
  WooOrderFields,
  WooStoreChanges,
  WooStoreDoc,
} from './contract/woocommerce';
import { randomBytes, randomUUID } from 'node:crypto';

/** After this many failed hand-offs a delivery stays parked, with its last error. */
export const MAX_WOO_HANDOFF_ATTEMPTS = 10;

export const wooOrderKey = (storeId: string, orderId: string) => `${storeId}:${orderId}`;
export const wooDeliveryKey = (storeId: string, deliveryId: string) => `${storeId}:${deliveryId}`;

/**
 * A site URL as stores are found by it: without its scheme, user info, query, default port and
 * trailing slashes, in lower case, so that WooCommerce's `X-WC-Webhook-Source`
 * (`https://shop.example/`) finds the store saved as `http://Shop.example`. Migration 0023 does
 * the same in SQL: keep the two alike.
 */
export const siteKey = (url: string): string =>
  url
    .trim()
    .replace(/^[a-z][a-z0-9+.-]*:\/\//i, '')
    .replace(/[?#].*$/s, '')
    .replace(/^[^/@]*@/, '')
    .toLowerCase()
    .replace(/^([^/:]*):(?:80|443)(\/|$)/, '$1$2')
    .replace(/\/+$/, '');

/** Like WooCommerce's own secrets: long and random. */
export const newWooSecret = () => randomBytes(24).toString('base64url');

export function newWooStore(
  orgId: string,
  input: NewWooStore,
  key: Buffer,
): { store: WooStoreDoc; secret: string } {
  const secret = input.secret ?? newWooSecret();
  const now = new Date();
  return {
    secret,
    store: {
      _id: randomUUID(),
      org_id: orgId,
      name: input.name,
      site_url: input.site_url,
      site_key: siteKey(input.site_url),
      secret_enc: encryptSecret(secret, key),
      account_id: input.account_id ?? null,
      settings: input.settings,
      created_at: now,
      updated_at: now,
    },
  };
}

/** The stored form of a change: a new secret sealed. */
export function wooStoreSet(changes: WooStoreChanges, key: Buffer): Partial<WooStoreDoc> {
  const { secret, ...rest } = changes;
  const set: Partial<WooStoreDoc> = { updated_at: new Date() };
  for (const [k, v] of Object.entries(rest)) if (v !== undefined) Object.assign(set, { [k]: v });
  if (secret !== undefined) set.secret_enc = encryptSecret(secret, key);
  if (rest.site_url !== undefined) set.site_key = siteKey(rest.site_url);
  return set;
}

export function newWooOrder(
  orgId: string,
  storeId: string,
  orderId: string,
  now = new Date(),
): WooOrderDoc {
  return {
    _id: wooOrderKey(storeId, orderId),
    org_id: orgId,
    store_id: storeId,
    order_id: orderId,
    number: null,
    status: null,
    contact_id: null,
    phone_number: null,
    total: null,
    currency: null,
    events: [],
    created_at: now,
    updated_at: now,
  };
}

/** Only the fields given (undefined ones are left as they are). */
export function definedFields(fields: WooOrderFields): WooOrderFields {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
}

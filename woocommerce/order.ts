/**
 * The parts of a WooCommerce REST API v3 order (the body of an `order.*` webhook) that order
 * notifications read. Everything is optional: stores and plugins differ, and a missing field
 * only leaves its placeholder empty.
 */
export interface WooAddress {
  first_name?: string;
  last_name?: string;
  company?: string;
  address_1?: string;
  address_2?: string;
  city?: string;
  state?: string;
  postcode?: string;
  country?: string;
  email?: string;
  phone?: string;
}

export interface WooMeta {
  id?: number;
  key: string;
  value: unknown;
}

export interface WooLineItem {
  id?: number;
  name?: string;
  product_id?: number;
  quantity?: number;
  total?: string;
  sku?: string;
  price?: number | string;
  image?: { id?: number | string; src?: string };
}

export interface WooOrder {
  id: number | string;
  number?: string;
  status?: string;
  currency?: string;
  currency_symbol?: string;
  total?: string;
  date_created?: string | null;
  date_modified?: string | null;
  date_paid?: string | null;
  date_completed?: string | null;
  payment_method_title?: string;
  payment_url?: string;
  needs_payment?: boolean;
  customer_note?: string;
  billing?: WooAddress;
  shipping?: WooAddress;
  line_items?: WooLineItem[];
  shipping_lines?: { method_title?: string }[];
  meta_data?: WooMeta[];
}

/** The WooCommerce Shipment Tracking extension's meta entry. */
interface ShipmentTrackingItem {
  tracking_provider?: string;
  custom_tracking_provider?: string;
  custom_tracking_link?: string;
  tracking_number?: string;
}

const TRUTHY = new Set(['1', 'yes', 'y', 'true', 'on', 'checked', 'opted_in', 'opt-in', 'optin']);

/** Is `value` a WooCommerce order id (a positive integer, or its text)? */
export function orderIdOf(body: unknown): string | null {
  const id = (body as { id?: unknown } | null)?.id;
  if (typeof id === 'number' && Number.isInteger(id) && id > 0) return String(id);
  if (typeof id === 'string' && /^\d{1,20}$/.test(id) && id !== '0') return id;
  return null;
}

export function metaValue(order: WooOrder, key: string): unknown {
  return order.meta_data?.find((m) => m?.key === key)?.value;
}

const text = (v: unknown): string | null =>
  (typeof v === 'string' && v.trim()) || typeof v === 'number' ? String(v).trim() : null;

export function isTruthy(value: unknown): boolean {
  if (value === true || value === 1) return true;
  return typeof value === 'string' && TRUTHY.has(value.trim().toLowerCase());
}

export interface Tracking {
  url: string | null;
  number: string | null;
  provider: string | null;
}

/**
 * Tracking from the order's meta: the Shipment Tracking extension's items (the latest), or
 * plain `tracking_url` / `tracking_number` / `tracking_provider` keys (with or without `_`).
 */
export function trackingOf(order: WooOrder): Tracking {
  const items = metaValue(order, '_wc_shipment_tracking_items');
  const last = Array.isArray(items)
    ? (items.at(-1) as ShipmentTrackingItem | undefined)
    : undefined;
  const plain = (key: string) => text(metaValue(order, key)) ?? text(metaValue(order, `_${key}`));
  return {
    url: text(last?.custom_tracking_link) ?? plain('tracking_url') ?? plain('tracking_link'),
    number: text(last?.tracking_number) ?? plain('tracking_number'),
    provider:
      text(last?.custom_tracking_provider) ??
      text(last?.tracking_provider) ??
      plain('tracking_provider'),
  };
}

export const hasTracking = (order: WooOrder) => {
  const t = trackingOf(order);
  return t.url !== null || t.number !== null;
};

/** Paid: WooCommerce records when (a pending or on-hold order has none). */
export const isPaid = (order: WooOrder) => !!order.date_paid;

/** WooCommerce statuses are slugs; REST answers without the `wc-` prefix, plugins not always. */
export const statusOf = (order: WooOrder): string | null => {
  const s = typeof order.status === 'string' ? order.status.trim().toLowerCase() : '';
  return s ? s.replace(/^wc-/, '') : null;
};

import { mapStrings } from '../lib/map-strings';
import type { WooStoreDoc, WooTemplateMapping } from '../store/contract/woocommerce';
import { type WooOrder, metaValue, statusOf, trackingOf } from './order';

/**
 * Placeholders in a mapping's template parameters: `{{first_name}}`, `{{order_number}}`, and
 * the others below, `{{meta.<key>}}` (order meta), `{{billing.<field>}}`,
 * `{{shipping.<field>}}`. Alternatives go after bars and are tried in order; a last one that
 * names no value is the literal default: `{{tracking_url | tracking_number | on its way}}`.
 */
const PLACEHOLDER = /\{\{([^{}]*)\}\}/g;

export const ORDER_VALUES = [
  'first_name',
  'last_name',
  'name',
  'email',
  'phone',
  'order_id',
  'order_number',
  'status',
  'total',
  'currency',
  'total_with_currency',
  'items',
  'item_count',
  'first_item',
  'first_item_image',
  'tracking_url',
  'tracking_number',
  'tracking_provider',
  'payment_url',
  'payment_method',
  'shipping_method',
  'store_name',
  'site_url',
] as const;

const KNOWN = new Set<string>(ORDER_VALUES);
const PREFIXED = /^(meta|billing|shipping)\.[^.\s]+$/;
/** Values other sources add (custom actions: `action.<name>`) are named with their prefix. */
const SOURCE_VALUE = /^[a-z_]+\.[^\s]+$/;

export type ParameterValues = Record<string, string | null>;

/**
 * Where parameter values come from besides the order itself. Custom JavaScript actions plug in
 * here: a source answers values under its own prefix (`action.<name>`), computed from the
 * order, and mappings use them like any other placeholder.
 */
export interface ParameterSource {
  prefix: string;
  values(order: WooOrder, store: WooStoreDoc): Promise<ParameterValues>;
}

const str = (v: unknown): string | null => {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : null;
};

function items(order: WooOrder): string | null {
  const lines = (order.line_items ?? [])
    .filter((i) => str(i.name))
    .map((i) => `${i.quantity ?? 1} × ${str(i.name)}`);
  return lines.length ? lines.join(', ') : null;
}

/** Every value the order itself gives, by placeholder name. */
export function orderValues(order: WooOrder, store: Pick<WooStoreDoc, 'name' | 'site_url'>) {
  const billing = order.billing ?? {};
  const tracking = trackingOf(order);
  const total = str(order.total);
  const currency = str(order.currency);
  const symbol = str(order.currency_symbol);
  const first = order.line_items?.[0];
  const values: ParameterValues = {
    first_name: str(billing.first_name),
    last_name: str(billing.last_name),
    name: str([billing.first_name, billing.last_name].filter(Boolean).join(' ')),
    email: str(billing.email),
    phone: str(billing.phone),
    order_id: str(String(order.id)),
    order_number: str(order.number) ?? str(String(order.id)),
    status: statusOf(order),
    total,
    currency,
    total_with_currency:
      total && (symbol ? `${symbol}${total}` : `${total} ${currency ?? ''}`.trim()),
    items: items(order),
    item_count: str((order.line_items ?? []).reduce((n, i) => n + (i.quantity ?? 1), 0)),
    first_item: str(first?.name),
    first_item_image: str(first?.image?.src),
    tracking_url: tracking.url,
    tracking_number: tracking.number,
    tracking_provider: tracking.provider,
    payment_url: str(order.payment_url),
    payment_method: str(order.payment_method_title),
    shipping_method: str(order.shipping_lines?.[0]?.method_title),
    store_name: str(store.name),
    site_url: str(store.site_url),
  };
  return values;
}

function prefixed(order: WooOrder, key: string): string | null {
  const [kind, field] = [key.slice(0, key.indexOf('.')), key.slice(key.indexOf('.') + 1)];
  if (kind === 'meta') return str(metaValue(order, field));
  const address = (kind === 'billing' ? order.billing : order.shipping) ?? {};
  return str((address as Record<string, unknown>)[field]);
}

const isValueName = (key: string) => KNOWN.has(key) || PREFIXED.test(key);

/** Every string inside the mapping's components. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}

/** Placeholders naming nothing known (a literal default only after a value name). */
export function mappingProblems(mapping: WooTemplateMapping, sources: string[] = []): string[] {
  const problems = new Set<string>();
  for (const s of strings(mapping.components)) {
    for (const m of s.matchAll(PLACEHOLDER)) {
      const parts = (m[1] ?? '').split('|').map((p) => p.trim());
      const [first] = parts;
      const fromSource = (k: string) => sources.some((p) => k.startsWith(`${p}.`));
      if (!first || !(isValueName(first) || fromSource(first))) {
        problems.add(`unknown placeholder {{${first ?? ''}}}`);
      }
    }
  }
  return [...problems];
}

function fill(text: string, order: WooOrder, values: ParameterValues): string {
  return text.replace(PLACEHOLDER, (_match, inner: string) => {
    const parts = inner.split('|').map((p) => p.trim());
    for (const [i, part] of parts.entries()) {
      if (KNOWN.has(part) || (SOURCE_VALUE.test(part) && part in values)) {
        const value = values[part];
        if (value) return value;
      } else if (PREFIXED.test(part)) {
        const value = prefixed(order, part);
        if (value) return value;
      } else if (i > 0) {
        return part;
      }
    }
    return '';
  });
}

/** The mapping's components with every placeholder filled from the order (and sources). */
export function renderMapping(
  mapping: WooTemplateMapping,
  order: WooOrder,
  values: ParameterValues,
): Record<string, unknown>[] {
  return mapStrings(mapping.components, (s) => fill(s, order, values)) as Record<string, unknown>[];
}

/** Template text parameters left empty: Meta refuses them, so the message is not sent. */
export function emptyParameters(components: Record<string, unknown>[]): number {
  let empty = 0;
  for (const c of components) {
    for (const p of (c.parameters as Record<string, unknown>[] | undefined) ?? []) {
      if (p?.type === 'text' && (typeof p.text !== 'string' || p.text.trim() === '')) empty++;
    }
  }
  return empty;
}

/** Values from the order and from every extra source, for one render. */
export async function parameterValues(
  order: WooOrder,
  store: WooStoreDoc,
  sources: readonly ParameterSource[] = [],
): Promise<ParameterValues> {
  const values = orderValues(order, store);
  for (const source of sources) {
    for (const [k, v] of Object.entries(await source.values(order, store))) {
      values[`${source.prefix}.${k}`] = v;
    }
  }
  return values;
}

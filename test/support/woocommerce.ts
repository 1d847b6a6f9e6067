import { randomUUID } from 'node:crypto';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { wooSignature } from '../../woocommerce/signature';

/** An order as WooCommerce's REST API v3 (and its webhooks) shape it. */
export function wooOrder(over: Record<string, unknown> = {}) {
  const id = (over.id as number | undefined) ?? Math.floor(Math.random() * 1e9);
  return {
    id,
    parent_id: 0,
    number: String(id),
    order_key: `wc_order_${randomUUID().slice(0, 13)}`,
    created_via: 'checkout',
    version: '9.4.2',
    status: 'processing',
    currency: 'GBP',
    currency_symbol: '£',
    date_created: '2025-03-01T10:00:00',
    date_created_gmt: '2025-03-01T10:00:00',
    date_modified: '2025-03-01T10:00:05',
    date_modified_gmt: '2025-03-01T10:00:05',
    discount_total: '0.00',
    shipping_total: '4.99',
    total: '54.99',
    total_tax: '0.00',
    prices_include_tax: false,
    customer_id: 7,
    customer_note: '',
    billing: {
      first_name: 'Asha',
      last_name: 'Patel',
      company: '',
      address_1: '1 High Street',
      address_2: '',
      city: 'London',
      state: '',
      postcode: 'N1 9GU',
      country: 'GB',
      email: 'asha@example.com',
      phone: '07400 900123',
    },
    shipping: { first_name: 'Asha', last_name: 'Patel', country: 'GB', city: 'London' },
    payment_method: 'stripe',
    payment_method_title: 'Credit card',
    transaction_id: 'ch_1',
    date_paid: '2025-03-01T10:00:04',
    date_paid_gmt: '2025-03-01T10:00:04',
    date_completed: null,
    cart_hash: 'abc',
    meta_data: [] as { id: number; key: string; value: unknown }[],
    line_items: [
      {
        id: 1,
        name: 'Running shoes',
        product_id: 11,
        variation_id: 0,
        quantity: 1,
        subtotal: '50.00',
        total: '50.00',
        sku: 'RS-1',
        price: 50,
        image: { id: 12, src: 'https://shop.example/img/shoes.jpg' },
      },
    ],
    shipping_lines: [{ id: 2, method_title: 'Royal Mail', total: '4.99' }],
    payment_url: `https://shop.example/checkout/order-pay/${id}/?pay_for_order=true`,
    needs_payment: false,
    ...over,
  };
}

export interface WooPost {
  /** The store's own URL's id; ignored with `url`. */
  storeId: string;
  /** Another delivery URL (the store-less one). */
  url?: string;
  /** X-WC-Webhook-Source: the site's URL; null leaves it out. */
  source?: string | null;
  secret: string;
  body: unknown;
  topic?: string;
  deliveryId?: string;
  signature?: string | null;
}

/** A delivery as WooCommerce posts it: JSON body, signed with the webhook secret. */
export function wooDelivery(p: WooPost): InjectOptions {
  const payload = typeof p.body === 'string' ? p.body : JSON.stringify(p.body);
  const [resource, event] = (p.topic ?? 'order.updated').split('.');
  const signature = p.signature === undefined ? wooSignature(p.secret, payload) : p.signature;
  return {
    method: 'POST',
    url: p.url ?? `/api/webhooks/woocommerce/${p.storeId}`,
    payload,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'WooCommerce/9.4.2 Hookshot (WordPress/6.7.1)',
      ...(p.source === null ? {} : { 'x-wc-webhook-source': p.source ?? 'https://shop.example/' }),
      'x-wc-webhook-topic': p.topic ?? 'order.updated',
      'x-wc-webhook-resource': resource!,
      'x-wc-webhook-event': event!,
      'x-wc-webhook-id': '3',
      'x-wc-webhook-delivery-id': p.deliveryId ?? randomUUID().replaceAll('-', ''),
      ...(signature === null ? {} : { 'x-wc-webhook-signature': signature }),
    },
  };
}

export type Inject = (o: InjectOptions) => Promise<LightMyRequestResponse>;

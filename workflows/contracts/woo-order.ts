import { defineQuery, defineSignal } from '@temporalio/workflow';

/** One WooCommerce order's notifications: `woo:<storeId>:<orderId>`, signal-with-start per delivery. */

export const WOO_ORDER_WORKFLOW = 'wooOrderWorkflow';

export const wooOrderWorkflowId = (storeId: string, orderId: string) => `woo:${storeId}:${orderId}`;

export interface WooOrderInput {
  orgId: string;
  storeId: string;
  orderId: string;
  /** Carried across continue-as-new; a new run otherwise reads it from the store. */
  state?: WooOrderState;
}

export interface WooOrderState {
  /** WooCommerce statuses received. */
  seenRaw: string[];
  /** Statuses handled (sent, skipped or unmapped), each once. */
  handled: string[];
  /** The furthest status rank handled (woo-order-statuses.ts); -1 before any. */
  rank: number;
  /** Messages queued for the order, reminder included, and the store's maximum. */
  sent: number;
  maxMessages: number;
  reminder: { state: 'scheduled' | 'sent' | 'skipped' | 'cancelled'; dueAt: number } | null;
  /** The latest delivery handled: what a reminder is written from. */
  lastDelivery: string | null;
  /** Delivery ids already taken (the newest few): a hand-off repeated after a crash. */
  deliveries: string[];
}

/** A stored delivery (`<storeId>:<deliveryId>`) for the order's workflow. */
export interface WooDeliverySignal {
  delivery: string;
}

export const wooDeliverySignal = defineSignal<[WooDeliverySignal]>('wooDelivery');
export const wooOrderStateQuery = defineQuery<WooOrderState>('wooOrderState');

export type WooOrderWorkflow = (input: WooOrderInput) => Promise<WooOrderState>;

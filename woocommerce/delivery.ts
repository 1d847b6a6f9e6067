import type { Store } from '../store';
import type { WooOrderState } from '../workflows/contracts/woo-order';
import { upsertCustomer } from './customer';
import { hasTracking, isPaid, statusOf, type WooOrder } from './order';
import { stateFromOrder } from './order-state';
import { parameterValues } from './parameters';

export interface WooOrderRef {
  orgId: string;
  storeId: string;
  orderId: string;
}

/** What one delivery says, for the workflow's decisions. */
export interface WooDeliveryFacts {
  status: string;
  paid: boolean;
  tracking: boolean;
  maxMessages: number;
  /** The store's pending-payment reminder, when on. */
  reminder: { delayMs: number } | null;
}

/** The order a stored delivery carries; null when it is gone or not JSON. */
export async function orderOfDelivery(
  store: Store,
  delivery: string | null,
): Promise<WooOrder | null> {
  const doc = delivery ? await store.wooDeliveries.get(delivery) : null;
  if (!doc) return null;
  try {
    return JSON.parse(doc.body) as WooOrder;
  } catch {
    return null;
  }
}

/** The state an earlier run left on the order (a fresh one for a new order). */
export async function loadWooOrderState(
  { store }: { store: Store },
  ref: WooOrderRef,
): Promise<WooOrderState> {
  const [doc, shop] = await Promise.all([
    store.wooOrders.get(ref.orgId, ref.storeId, ref.orderId),
    store.wooStores.get(ref.orgId, ref.storeId),
  ]);
  return stateFromOrder(doc, shop?.settings.max_messages_per_order ?? 0);
}

/**
 * Reads a delivery: the customer becomes a contact, the order its record; returns what the
 * workflow decides on. Null when the store or the delivery is gone, or it names no status.
 */
export async function applyWooDelivery(
  { store }: { store: Store },
  ref: WooOrderRef & { delivery: string },
): Promise<WooDeliveryFacts | null> {
  const [shop, order] = await Promise.all([
    store.wooStores.get(ref.orgId, ref.storeId),
    orderOfDelivery(store, ref.delivery),
  ]);
  const status = order && statusOf(order);
  if (!shop || !order || !status) return null;
  const customer = await upsertCustomer(store, shop, order);
  const v = await parameterValues(order, shop);
  await store.wooOrders.record(ref.orgId, ref.storeId, ref.orderId, {
    number: v.order_number,
    total: v.total,
    currency: v.currency,
    ...(customer ? { contact_id: customer.contact._id, phone_number: customer.phone } : {}),
  });
  const { pending_reminder: reminder, max_messages_per_order } = shop.settings;
  return {
    status,
    paid: isPaid(order),
    tracking: hasTracking(order),
    maxMessages: max_messages_per_order,
    reminder: reminder.enabled ? { delayMs: reminder.delay_minutes * 60_000 } : null,
  };
}

import type { Store } from '../store';
import { orderOfDelivery } from '../woocommerce/delivery';
import type { WooStatusNotice } from '../woocommerce/notify';
import { customerPhone } from '../woocommerce/phone';
import type { RouteInput } from './inputs';

/** A WooCommerce status newly handled for an order, as an input for its customer's contact. */
export async function orderStatusInput(
  store: Store,
  notice: WooStatusNotice,
): Promise<RouteInput | null> {
  const [shop, order] = await Promise.all([
    store.wooStores.get(notice.orgId, notice.storeId),
    orderOfDelivery(store, notice.delivery),
  ]);
  if (!shop || !order) return null;
  const phone = await customerPhone(store, shop, order);
  const contact = phone ? await store.contacts.findByPhone(notice.orgId, phone) : null;
  if (!contact) return null;
  return {
    id: `woo:${notice.storeId}:${notice.orderId}:${notice.status}`,
    orgId: notice.orgId,
    contactId: contact._id,
    at: new Date(),
    kind: 'order_status',
    storeId: notice.storeId,
    status: notice.status,
  };
}

import { NotFoundError } from '../lib/errors';
import type { Store } from '../store';
import type { PaymentLinkListQuery } from '../store/contract/payments';
import type { PaymentLinkDoc } from '../store/documents';

/** The organization's payment link, or 404. */
export async function paymentLinkOf(
  store: Store,
  orgId: string,
  id: string,
): Promise<PaymentLinkDoc> {
  const doc = await store.paymentLinks.get(orgId, id);
  if (!doc) throw new NotFoundError(`Payment link '${id}' not found`);
  return doc;
}

/** The organization's payment links, newest first. */
export function listPaymentLinks(
  store: Store,
  orgId: string,
  query: PaymentLinkListQuery,
): Promise<PaymentLinkDoc[]> {
  return store.paymentLinks.list(orgId, query);
}

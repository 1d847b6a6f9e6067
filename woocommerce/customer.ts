import { ConflictError } from '../lib/errors';
import type { Store } from '../store';
import type { ContactPatch } from '../store/contact-fields';
import type { ContactDoc } from '../store/documents';
import type { WooStoreDoc } from '../store/contract/woocommerce';
import { isTruthy, metaValue, type WooOrder } from './order';
import { orderValues } from './parameters';
import { customerPhone } from './phone';

export const WOO_TAG = 'woocommerce';

/** Values the order carries that fit a contact; empty ones are left out. */
function fromBilling(order: WooOrder, store: WooStoreDoc) {
  const v = orderValues(order, store);
  return {
    name: v.name,
    email: v.email,
    custom_fields: {
      last_order_number: v.order_number,
      last_order_total: v.total_with_currency,
    },
  };
}

/**
 * The order's customer as a contact, by billing phone (see `customerPhone`): created
 * or updated with the billing name and email, the `woocommerce` tag, the last order's number
 * and total, and opted in when the order's opt-in meta says so. Null without a usable phone.
 */
export async function upsertCustomer(
  store: Store,
  shop: WooStoreDoc,
  order: WooOrder,
): Promise<{ contact: ContactDoc; phone: string } | null> {
  const phone = await customerPhone(store, shop, order);
  if (!phone) return null;
  const orgId = shop.org_id;
  const billing = fromBilling(order, shop);
  const optedIn = isTruthy(metaValue(order, shop.settings.opt_in.meta_key));
  const patchFor = (existing: ContactDoc | null): ContactPatch => {
    const fields = Object.fromEntries(
      Object.entries(billing.custom_fields).filter(([, v]) => v !== null),
    ) as Record<string, string>;
    return {
      ...(billing.name ? { name: billing.name } : {}),
      ...(billing.email ? { email: billing.email } : {}),
      tags: [...new Set([...(existing?.tags ?? []), WOO_TAG])],
      custom_fields: { ...(existing?.custom_fields as Record<string, string>), ...fields },
      ...(optedIn ? { opted_in: true } : {}),
    };
  };
  for (let attempt = 0; ; attempt++) {
    const existing = await store.contacts.findByPhone(orgId, phone);
    try {
      const contact = existing
        ? ((await store.contacts.update(orgId, existing._id, patchFor(existing)))?.contact ?? null)
        : await store.contacts.create(
            orgId,
            { phone_number: phone, ...patchFor(null) },
            'woocommerce',
          );
      if (!contact) {
        // Deleted meanwhile: created again on the next pass.
        if (attempt >= 2) return null;
        continue;
      }
      await store.outbox.flush('contacts', contact._id);
      return { contact, phone };
    } catch (err) {
      // Another order of the same customer created the contact first: update it.
      if (!(err instanceof ConflictError) || attempt >= 2) throw err;
    }
  }
}

import { orgCountry } from '../contacts/phone';
import { isPhoneCountry, phoneOrNull, writtenInternational } from '../lib/phone';
import type { Store } from '../store';
import type { WooStoreDoc } from '../store/contract/woocommerce';
import type { WooOrder } from './order';

const countryCode = (country?: string | null) => {
  const code = country?.trim().toUpperCase();
  return code && isPhoneCountry(code) ? code : null;
};

/**
 * A billing phone in E.164: international with `+` or `00`, else a national number of the
 * billing country (`07400 900123` in GB, `6591234567` in SG, its country code already there),
 * else of `fallbackCountry`. Null when it is not a valid number there.
 */
export function billingPhone(
  phone: string,
  country?: string | null,
  fallbackCountry?: string | null,
): string | null {
  return phoneOrNull(phone, countryCode(country) ?? fallbackCountry);
}

/**
 * The order's customer's phone: read with the billing country, else the organization's
 * default country (read only when a national number needs it).
 */
export async function customerPhone(
  store: Store,
  shop: WooStoreDoc,
  order: WooOrder,
): Promise<string | null> {
  const phone = order.billing?.phone ?? '';
  const country = countryCode(order.billing?.country);
  if (country || writtenInternational(phone)) return billingPhone(phone, country);
  return billingPhone(phone, null, await orgCountry(store, shop.org_id));
}

import { parsePhone, writtenInternational } from '../lib/phone';
import type { Store } from '../store';

/** The organization's country for phone numbers given without a country code, if it has one. */
export async function orgCountry(store: Store, orgId: string): Promise<string | null> {
  return (await store.organizations.get(orgId))?.default_country ?? null;
}

/**
 * The country for a request's national numbers: the request's own `default_country`, else the
 * organization's. Read once for requests with many numbers.
 */
export async function requestCountry(
  store: Store,
  orgId: string,
  requested: string | null | undefined,
): Promise<string | null> {
  return requested ?? (await orgCountry(store, orgId));
}

/**
 * A phone number a request gives, in E.164 (see `parsePhone`), or a ValidationError naming
 * `field`. The organization is read only for a national number the request has no country for.
 */
export async function requestPhone(
  store: Store,
  orgId: string,
  input: string,
  field: string,
  requested?: string | null,
): Promise<string> {
  const country =
    requested ?? (writtenInternational(input) ? null : await orgCountry(store, orgId));
  return parsePhone(input, field, country);
}

import { mapLimit } from '../lib/concurrency';
import { requestCountry } from '../contacts/phone';
import { phoneOrNull } from '../lib/phone';
import type { Store } from '../store';
import type { SubscribeOutcome } from '../store/contract/sequences';
import { findSequence } from './read';
import type { SubscribeRequest } from './request';

/** Phone numbers looked up at once in a bulk subscribe. */
const LOOKUPS_IN_FLIGHT = 8;

export interface SubscribeRow {
  contact_id: string | null;
  /** As given, for rows given by phone number. */
  phone_number: string | null;
  /** As given, for rows given by user id. */
  user_id: string | null;
  outcome: SubscribeOutcome | 'invalid_phone_number';
}

/**
 * Records the subscriptions (the re-entry rule deciding about contacts already subscribed),
 * then has their workflows started in the background; a result per row given.
 */
export async function subscribeContacts(
  deps: { store: Store; starter: { kick(): void } },
  orgId: string,
  id: string,
  req: SubscribeRequest,
): Promise<{ subscribed: number; results: SubscribeRow[] }> {
  const { store } = deps;
  const seq = await findSequence(deps, orgId, id);
  const { contact_ids = [], phone_numbers = [], user_ids = [] } = req;
  const country = phone_numbers.length
    ? await requestCountry(store, orgId, req.default_country)
    : null;
  const byPhone = await mapLimit(phone_numbers, LOOKUPS_IN_FLIGHT, async (given) => {
    const phone = phoneOrNull(given, country);
    const contact = phone ? await store.contacts.findByPhone(orgId, phone) : null;
    return { given, phone, contactId: contact?._id ?? null };
  });
  const byUserId = await mapLimit(user_ids, LOOKUPS_IN_FLIGHT, async (given) => ({
    given,
    contactId: (await store.contacts.findByUserId(orgId, given))?._id ?? null,
  }));
  const ids = [
    ...contact_ids,
    ...[...byPhone, ...byUserId].flatMap((p) => (p.contactId ? [p.contactId] : [])),
  ];
  const results = new Map(
    (await store.sequenceSubscriptions.subscribe(seq, ids, 'api')).map((r) => [r.contact_id, r]),
  );
  deps.starter.kick();
  const outcomeOf = (contactId: string | null) =>
    contactId ? results.get(contactId)!.outcome : ('contact_not_found' as const);
  const rows: SubscribeRow[] = [
    ...contact_ids.map((id) => ({
      contact_id: id,
      phone_number: null,
      user_id: null,
      outcome: results.get(id)!.outcome,
    })),
    ...byPhone.map((p) => ({
      contact_id: p.contactId,
      phone_number: p.given,
      user_id: null,
      outcome: !p.phone ? ('invalid_phone_number' as const) : outcomeOf(p.contactId),
    })),
    ...byUserId.map((u) => ({
      contact_id: u.contactId,
      phone_number: null,
      user_id: u.given,
      outcome: outcomeOf(u.contactId),
    })),
  ];
  const subscribed = [...results.values()].filter((r) => r.run !== null).length;
  return { subscribed, results: rows };
}

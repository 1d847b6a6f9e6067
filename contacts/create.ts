import type { Log } from '../lib/log';
import type { Store } from '../store';
import type { ContactInput } from '../store/contact-fields';
import type { ContactDoc } from '../store/documents';
import { flushOutbox } from './outbox';
import { requestPhone } from './phone';

/** The country of a phone number given without a country code (else the organization's). */
export interface PhoneCountryRequest {
  default_country?: string;
}

/** A new contact: its phone number and any other field. */
export type CreateContactRequest = ContactInput & PhoneCountryRequest;

/** Throws a ConflictError when the organization already has the phone number. */
export async function createContact(
  { store, log }: { store: Store; log: Log },
  orgId: string,
  req: CreateContactRequest,
): Promise<ContactDoc> {
  const { default_country, ...input } = req;
  const phone = await requestPhone(
    store,
    orgId,
    input.phone_number,
    'phone_number',
    default_country,
  );
  const doc = await store.contacts.create(orgId, { ...input, phone_number: phone });
  await flushOutbox(store, log, 'contacts', doc._id);
  return doc;
}

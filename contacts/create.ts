import { ValidationError } from '../lib/errors';
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

/** A new contact: its phone number, its user id or both, and any other field. */
export type CreateContactRequest = ContactInput & PhoneCountryRequest;

/** Throws a ConflictError when the organization already has the phone number or user id. */
export async function createContact(
  { store, log }: { store: Store; log: Log },
  orgId: string,
  req: CreateContactRequest,
): Promise<ContactDoc> {
  const { default_country, ...input } = req;
  if (input.phone_number === undefined && input.user_id === undefined) {
    throw new ValidationError('give phone_number or user_id (or both)');
  }
  const phone =
    input.phone_number === undefined
      ? {}
      : {
          phone_number: await requestPhone(
            store,
            orgId,
            input.phone_number,
            'phone_number',
            default_country,
          ),
        };
  const doc = await store.contacts.create(orgId, { ...input, ...phone });
  await flushOutbox(store, log, 'contacts', doc._id);
  return doc;
}

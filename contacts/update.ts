import type { Log } from '../lib/log';
import type { Store } from '../store';
import type { ContactPatch } from '../store/contact-fields';
import type { ContactDoc } from '../store/documents';
import type { PhoneCountryRequest } from './create';
import { flushOutbox } from './outbox';
import { requestPhone } from './phone';
import { contactNotFound } from './read';

/** The fields to change; absent ones are left as they are. */
export type UpdateContactRequest = ContactPatch & PhoneCountryRequest;

export async function updateContact(
  { store, log }: { store: Store; log: Log },
  orgId: string,
  id: string,
  req: UpdateContactRequest,
): Promise<ContactDoc> {
  const { default_country, ...patch } = req;
  if (patch.phone_number !== undefined) {
    patch.phone_number = await requestPhone(
      store,
      orgId,
      patch.phone_number,
      'phone_number',
      default_country,
    );
  }
  const res = await store.contacts.update(orgId, id, patch);
  if (!res) throw contactNotFound(id);
  if (res.changes.length) await flushOutbox(store, log, 'contacts', id);
  return res.contact;
}

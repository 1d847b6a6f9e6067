import type { Log } from '../lib/log';
import type { Store } from '../store';
import type { ContactInput } from '../store/contact-fields';
import type { ContactDoc } from '../store/documents';
import { flushOutbox } from './outbox';

/** A new contact: its phone number and any other field. */
export type CreateContactRequest = ContactInput;

/** Throws a ConflictError when the organization already has the phone number. */
export async function createContact(
  { store, log }: { store: Store; log: Log },
  orgId: string,
  req: CreateContactRequest,
): Promise<ContactDoc> {
  const doc = await store.contacts.create(orgId, req);
  await flushOutbox(store, log, 'contacts', doc._id);
  return doc;
}

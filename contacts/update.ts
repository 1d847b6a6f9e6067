import type { Log } from '../lib/log';
import type { Store } from '../store';
import type { ContactPatch } from '../store/contact-fields';
import type { ContactDoc } from '../store/documents';
import { flushOutbox } from './outbox';
import { contactNotFound } from './read';

/** The fields to change; absent ones are left as they are. */
export type UpdateContactRequest = ContactPatch;

export async function updateContact(
  { store, log }: { store: Store; log: Log },
  orgId: string,
  id: string,
  req: UpdateContactRequest,
): Promise<ContactDoc> {
  const res = await store.contacts.update(orgId, id, req);
  if (!res) throw contactNotFound(id);
  if (res.changes.length) await flushOutbox(store, log, 'contacts', id);
  return res.contact;
}

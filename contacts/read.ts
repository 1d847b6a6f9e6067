import { NotFoundError } from '../lib/errors';
import type { Store } from '../store';
import type { ContactListQuery } from '../store/contract/contacts';
import type { ContactDoc } from '../store/documents';

export type ListContactsRequest = ContactListQuery;

export const contactNotFound = (id: string) => new NotFoundError(`Contact '${id}' not found`);

/** A page of contacts, newest first, and how many match the filters in all. */
export function listContacts(
  { store }: { store: Store },
  orgId: string,
  q: ListContactsRequest,
): Promise<{ contacts: ContactDoc[]; total: number }> {
  return store.contacts.list(orgId, q);
}

export async function getContact(
  { store }: { store: Store },
  orgId: string,
  id: string,
): Promise<ContactDoc> {
  const doc = await store.contacts.get(orgId, id);
  if (!doc) throw contactNotFound(id);
  return doc;
}

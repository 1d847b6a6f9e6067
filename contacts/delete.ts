import type { Store } from '../store';
import { contactNotFound } from './read';

/** Deletes the contact for good. */
export async function deleteContact(
  { store }: { store: Store },
  orgId: string,
  id: string,
): Promise<void> {
  if (!(await store.contacts.delete(orgId, id))) throw contactNotFound(id);
}

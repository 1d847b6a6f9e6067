import type { ContactDoc } from '../documents';

/**
 * A contact's phone number and user id as its unique indexes see them. FerretDB has no partial
 * index and ignores `sparse`, so each unique index is on a field every contact has: the id
 * itself, or `~<_id>` (never an id, never shared) when the contact has none.
 */
export interface ContactKeys {
  phone_key: string;
  user_key: string;
}

export const contactKeys = (
  doc: Pick<ContactDoc, '_id' | 'phone_number' | 'user_id'>,
): ContactKeys => ({
  phone_key: doc.phone_number ?? `~${doc._id}`,
  user_key: doc.user_id ?? `~${doc._id}`,
});

import type { Db, Document, Filter } from 'mongodb';
import type { AudienceFilter } from '../campaigns';
import type { ContactDoc } from '../documents';
import type { StoredContact } from './contact-writes';

/** Contacts are returned without the pending events they carry here. */
export const CONTACT_PROJECTION = {
  version: 0,
  outbox: 0,
  outbox_pending: 0,
  phone_key: 0,
  user_key: 0,
} as const;

/** The audience as a query on `contacts`. */
export function audienceMatch(orgId: string, filter: AudienceFilter): Filter<StoredContact> {
  const match: Document = { org_id: orgId, opted_in: true };
  if (filter.tags) {
    const { match: how, values } = filter.tags;
    match.tags = how === 'all' ? { $all: values } : { $in: values };
  }
  if (filter.stage !== null) match.stage = filter.stage;
  if (filter.prefixes) {
    // Prefixes are `+` and digits: only the `+` needs escaping.
    match.phone_number = { $regex: `^(?:${filter.prefixes.map((p) => `\\${p}`).join('|')})` };
  }
  if (filter.customField)
    match[`custom_fields.${filter.customField.key}`] = filter.customField.value;
  if (filter.contactIds) match._id = { $in: filter.contactIds };
  return match;
}

/**
 * The audience's contacts in send order (created_at, id), stopping after `limit`. Each contact
 * once: a contact is one customer (phone numbers and user ids are unique within an
 * organization), and one without a phone number is reached by its user id.
 */
export async function audienceContacts(
  db: Db,
  orgId: string,
  filter: AudienceFilter,
  limit = Infinity,
): Promise<ContactDoc[]> {
  const found: ContactDoc[] = [];
  const cursor = db
    .collection<StoredContact>('contacts')
    .find(audienceMatch(orgId, filter), { projection: CONTACT_PROJECTION })
    .sort({ created_at: 1, _id: 1 });
  try {
    for await (const doc of cursor) {
      found.push(doc);
      if (found.length >= limit) break;
    }
  } finally {
    await cursor.close();
  }
  return found;
}

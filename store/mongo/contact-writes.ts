import type { Collection, UpdateFilter } from 'mongodb';
import {
  changedFields,
  contactUpdatedEvent,
  duplicatePhone,
  duplicateUserId,
  type ChangeResult,
  type ContactPatch,
  type EditableField,
} from '../contact-fields';
import type { ContactDoc, OutboxEvent } from '../documents';
import { contactKeys, type ContactKeys } from './contact-keys';
import { isDuplicateKey } from './duplicate-key';
import { withEvents, type WithOutbox } from './outbox';

/** A contact as stored here: with its pending events. */
export type StoredContact = ContactDoc & WithOutbox & ContactKeys;

const MAX_ATTEMPTS = 10;

/** How a contact is found within its organization. */
export type ContactKey = { _id: string } | { phone_number: string };

/** A unique index refused `changes`: the conflict names the id that is taken. */
function duplicateOf(
  changes: Pick<ContactPatch, never> & Partial<Pick<ContactDoc, 'phone_number' | 'user_id'>>,
) {
  if (changes.phone_number) return duplicatePhone(changes.phone_number);
  if (changes.user_id) return duplicateUserId(changes.user_id);
  return null;
}

/** `withEvents` brings its own `$set` (outbox_pending): the change's fields join it. */
function updateWithEvents(
  set: Partial<StoredContact>,
  events: OutboxEvent[],
): UpdateFilter<StoredContact> {
  const ops = withEvents(events);
  return { ...ops, $set: { ...set, ...('$set' in ops ? ops.$set : {}) } };
}

export function contactWriter(col: Collection<StoredContact>) {
  return {
    /** Inserts a new contact; false when its phone number is already taken in the organization. */
    async insert(doc: StoredContact): Promise<boolean> {
      try {
        await col.insertOne(doc);
        return true;
      } catch (err) {
        if (isDuplicateKey(err)) return false;
        throw err;
      }
    },

    /**
     * Applies the patch `decide` returns for the current document together with its
     * contact.updated event, in one write that lands only if the document is still the version
     * that was read; otherwise it reads again and retries. So the event describes exactly the
     * contact the change produced, and `decide` can depend on the current values.
     * `known` saves the first read when the caller already holds the document.
     */
    async change(
      orgId: string,
      key: ContactKey,
      decide: (current: StoredContact) => ContactPatch,
      known?: StoredContact,
    ): Promise<(ChangeResult & { contact: StoredContact }) | null> {
      let doc = known ?? null;
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        doc ??= await col.findOne({ ...key, org_id: orgId });
        if (!doc) return null;
        const changes = changedFields(doc, decide(doc));
        const fields = Object.keys(changes) as EditableField[];
        if (!fields.length) return { contact: doc, changes: [] };

        const now = new Date();
        const after: StoredContact = { ...doc, ...changes, updated_at: now };
        const keys = contactKeys(after);
        Object.assign(after, keys);
        const event = contactUpdatedEvent(doc, after, changes);
        try {
          const res = await col.updateOne(
            { _id: doc._id, org_id: orgId, version: doc.version },
            updateWithEvents({ ...changes, ...keys, updated_at: now }, [event]),
          );
          if (res.matchedCount === 1) {
            const outbox = [...doc.outbox, event];
            return {
              contact: { ...after, version: doc.version + 1, outbox, outbox_pending: true },
              changes: fields,
            };
          }
        } catch (err) {
          throw (isDuplicateKey(err) && duplicateOf(changes)) || err;
        }
        doc = null;
      }
      throw new Error(`Contact kept changing during the update (${MAX_ATTEMPTS} attempts)`);
    },
  };
}

export type ContactWriter = ReturnType<typeof contactWriter>;

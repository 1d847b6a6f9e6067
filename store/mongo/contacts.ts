import type { Db, Filter } from 'mongodb';
import { normalizePhone, requirePhone } from '../../lib/phone';
import { escapeRegex } from '../../lib/regex';
import { duplicatePhone, newContact, normalizePatch } from '../contact-fields';
import type { ContactListQuery, ContactRepository } from '../contract/contacts';
import type { OutboxRelay } from '../contract/events';
import type { ContactDoc } from '../documents';
import { bulkUpsert } from './contact-bulk';
import { contactWriter, type StoredContact } from './contact-writes';
import { keyedLock } from '../../lib/keyed-lock';
import { newStoredContact } from './outbox';

/** Contacts are returned without the pending events they carry here. */
function contact(doc: StoredContact): ContactDoc;
function contact(doc: StoredContact | null): ContactDoc | null;
function contact(doc: StoredContact | null): ContactDoc | null {
  if (!doc) return null;
  const { version, outbox, outbox_pending, ...rest } = doc;
  return rest;
}

const MAX_ATTEMPTS = 5;

/**
 * Contacts, unique by phone number within an organization. Every change is written together
 * with its event (see outbox.ts); callers flush `contacts` for the id afterwards, except
 * recordInbound, which flushes itself.
 */
export function contactRepository(db: Db, outbox: OutboxRelay): ContactRepository {
  const col = db.collection<StoredContact>('contacts');
  const writer = contactWriter(col);

  function listFilter(orgId: string, q: Omit<ContactListQuery, 'page' | 'limit'>) {
    const filter: Filter<StoredContact> = { org_id: orgId };
    if (q.tag) filter.tags = q.tag;
    if (q.stage) filter.stage = q.stage;
    const search = q.search?.trim();
    if (search) {
      const or: Filter<StoredContact>[] = [
        { name: { $regex: escapeRegex(search), $options: 'i' } },
      ];
      const digits = search.replace(/[\s\-().+]/g, '');
      if (/^\d+$/.test(digits)) or.push({ phone_number: { $regex: escapeRegex(digits) } });
      filter.$or = or;
    }
    return filter;
  }

  /** See ContactRepository.recordInbound. */
  async function recordInbound(
    orgId: string,
    phone: string,
    opts: { name?: string | null; at: Date },
  ): Promise<{ contact: ContactDoc; created: boolean }> {
    const phoneNumber = requirePhone(phone);
    const name = opts.name?.trim() || null;
    const key = { org_id: orgId, phone_number: phoneNumber };
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const existing = await col.findOne(key);
      if (!existing) {
        const doc = newStoredContact(
          newContact(
            orgId,
            { phone_number: phoneNumber, name, opted_in: true },
            'whatsapp_webhook',
            { lastInboundAt: opts.at },
          ),
        );
        // Lost the race to a concurrent call: go round again as an update.
        if (!(await writer.insert(doc))) continue;
        await outbox.flush('contacts', doc._id);
        return { contact: contact(doc), created: true };
      }

      // The window clock is not contact data: moving it records no event.
      await col.updateOne(
        {
          ...key,
          $or: [{ last_inbound_at: null }, { last_inbound_at: { $lt: opts.at } }],
        },
        { $set: { last_inbound_at: opts.at } },
      );
      if (name && !existing.name) {
        await writer.change(orgId, { _id: existing._id }, (current) =>
          current.name ? {} : { name },
        );
      }
      const current = await col.findOne({ _id: existing._id, org_id: orgId });
      if (!current) continue;
      await outbox.flush('contacts', current._id);
      return { contact: contact(current), created: false };
    }
    throw new Error(`Contact ${phoneNumber} kept changing while recording an inbound message`);
  }

  const serially = keyedLock();

  return {
    async get(orgId, id) {
      return contact(await col.findOne({ _id: id, org_id: orgId }));
    },

    async findByPhone(orgId, phone) {
      const phoneNumber = normalizePhone(phone);
      if (!phoneNumber) return null;
      return contact(await col.findOne({ org_id: orgId, phone_number: phoneNumber }));
    },

    async list(orgId: string, q: ContactListQuery) {
      const filter = listFilter(orgId, q);
      const [contacts, total] = await Promise.all([
        col
          .find(filter)
          .sort({ created_at: -1, _id: -1 })
          .skip((q.page - 1) * q.limit)
          .limit(q.limit)
          .toArray(),
        col.countDocuments(filter),
      ]);
      return { contacts: contacts.map((c) => contact(c)), total };
    },

    async create(orgId, input, source = 'api') {
      const doc = newStoredContact(newContact(orgId, normalizePatch(input), source));
      if (!(await writer.insert(doc))) throw duplicatePhone(doc.phone_number);
      return contact(doc);
    },

    /** The caller flushes `contacts` for a new one. */
    async ensure(orgId, phone, source) {
      const phoneNumber = requirePhone(phone);
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const existing = await col.findOne({ org_id: orgId, phone_number: phoneNumber });
        if (existing) return contact(existing);
        const doc = newStoredContact(newContact(orgId, { phone_number: phoneNumber }, source));
        if (await writer.insert(doc)) return contact(doc);
      }
      throw new Error(`Contact ${phoneNumber} kept changing while being created`);
    },

    async update(orgId, id, patch) {
      const normalized = normalizePatch(patch);
      const res = await writer.change(orgId, { _id: id }, () => normalized);
      return res && { contact: contact(res.contact), changes: res.changes };
    },

    upsertMany(orgId, rows) {
      return bulkUpsert(col, writer, orgId, rows);
    },

    /**
     * Deletes for good. Pending events are flushed first, and the delete only lands on a
     * contact with none pending, so no recorded change is lost with the document.
     */
    async delete(orgId, id) {
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const res = await col.deleteOne({ _id: id, org_id: orgId, outbox_pending: false });
        if (res.deletedCount === 1) return true;
        if (!(await col.findOne({ _id: id, org_id: orgId }, { projection: { _id: 1 } }))) {
          return false;
        }
        await outbox.flush('contacts', id);
      }
      throw new Error(`Contact ${id} kept changing while being deleted`);
    },

    /**
     * An inbound WhatsApp message from `phone` at `at`. A new number becomes a contact (source
     * whatsapp_webhook, opted in, named from the WhatsApp profile) with a contact.created
     * event; a known one gets its last inbound time moved forward (never back: webhooks arrive
     * late and out of order) and its name filled if it had none (contact.updated). Concurrent
     * calls for a new number create one contact. The events are flushed before returning; if
     * that flush fails the call throws, and calling again (or the periodic sweep) delivers
     * them.
     */
    async recordInbound(orgId, phone, opts) {
      const key = `${orgId}:${requirePhone(phone)}`;
      return serially(key, () => recordInbound(orgId, phone, opts));
    },
  };
}

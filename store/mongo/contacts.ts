import type { Db, Filter } from 'mongodb';
import { normalizePhone, requirePhone } from '../../lib/phone';
import { escapeRegex } from '../../lib/regex';
import {
  duplicateContact,
  idChange,
  inboundContact,
  inboundFill,
  newContact,
  normalizeIds,
  normalizePatch,
  pickMatch,
  type CustomerIds,
} from '../contact-fields';
import { ConflictError } from '../../lib/errors';
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
  const { version, outbox, outbox_pending, phone_key, user_key, ...rest } = doc;
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
    if (q.user_id) filter.user_id = q.user_id;
    const search = q.search?.trim();
    if (search) {
      const pattern = { $regex: escapeRegex(search), $options: 'i' };
      const or: Filter<StoredContact>[] = [
        { name: pattern },
        { username: pattern },
        { user_id: pattern },
      ];
      const digits = search.replace(/[\s\-().+]/g, '');
      if (/^\d+$/.test(digits)) or.push({ phone_number: { $regex: escapeRegex(digits) } });
      filter.$or = or;
    }
    return filter;
  }

  /** The contacts holding `who`'s phone number or user id, and the one to use. */
  async function match(orgId: string, who: Pick<CustomerIds, 'phone' | 'userId'>) {
    const or: Filter<StoredContact>[] = [];
    if (who.userId) or.push({ user_id: who.userId });
    if (who.phone) or.push({ phone_number: who.phone });
    const rows = or.length ? await col.find({ org_id: orgId, $or: or }).toArray() : [];
    return pickMatch(rows, who);
  }

  const takenFrom = (m: Awaited<ReturnType<typeof match>>, id: string) => ({
    phone: !!m.byPhone && m.byPhone._id !== id,
    userId: !!m.byUserId && m.byUserId._id !== id,
  });

  /** See ContactRepository.recordInbound. */
  async function recordInbound(
    orgId: string,
    who: CustomerIds,
    opts: { name?: string | null; at: Date | null },
  ): Promise<{ contact: ContactDoc; created: boolean }> {
    const name = opts.name?.trim() || null;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const found = await match(orgId, who);
      const existing = found.contact;
      if (!existing) {
        const doc = newStoredContact(inboundContact(orgId, who, name, opts.at));
        // Lost the race to a concurrent call: go round again as an update.
        if (!(await writer.insert(doc))) continue;
        await outbox.flush('contacts', doc._id);
        return { contact: contact(doc), created: true };
      }

      // The window clock is not contact data: moving it records no event.
      if (opts.at) {
        await col.updateOne(
          {
            _id: existing._id,
            org_id: orgId,
            $or: [{ last_inbound_at: null }, { last_inbound_at: { $lt: opts.at } }],
          },
          { $set: { last_inbound_at: opts.at } },
        );
      }
      const taken = takenFrom(found, existing._id);
      try {
        await writer.change(orgId, { _id: existing._id }, (current) =>
          inboundFill(current, who, name, taken),
        );
      } catch (err) {
        // Another contact took one of the ids meanwhile: look again.
        if (err instanceof ConflictError) continue;
        throw err;
      }
      const current = await col.findOne({ _id: existing._id, org_id: orgId });
      if (!current) continue;
      await outbox.flush('contacts', current._id);
      return { contact: contact(current), created: false };
    }
    throw new Error('The contact kept changing while recording an inbound message');
  }

  /** See ContactRepository.changeIds. */
  async function changeIds(
    orgId: string,
    from: Pick<CustomerIds, 'phone' | 'userId'>,
    to: CustomerIds,
  ): Promise<{ contact: ContactDoc; created: boolean }> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const old = (await match(orgId, from)).contact;
      if (!old) return recordInbound(orgId, to, { at: null });
      const taken = takenFrom(await match(orgId, to), old._id);
      try {
        const res = await writer.change(orgId, { _id: old._id }, () => idChange(to, taken));
        if (!res) continue;
        await outbox.flush('contacts', old._id);
        return { contact: contact(res.contact), created: false };
      } catch (err) {
        if (err instanceof ConflictError) continue;
        throw err;
      }
    }
    throw new Error('The contact kept changing while changing its ids');
  }

  const serially = keyedLock();

  return {
    async get(orgId, id) {
      return contact(await col.findOne({ _id: id, org_id: orgId }));
    },

    async getMany(orgId, ids) {
      return (await col.find({ _id: { $in: [...ids] }, org_id: orgId }).toArray()).map((c) =>
        contact(c),
      );
    },

    async findByUserId(orgId, userId) {
      return contact(await col.findOne({ org_id: orgId, user_id: userId.trim() }));
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
      if (!(await writer.insert(doc))) throw duplicateContact(doc);
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
     * An inbound WhatsApp message from `who` at `at`. A new customer becomes a contact (source
     * whatsapp_webhook, opted in, named from the WhatsApp profile) with a contact.created
     * event; a known one gets its last inbound time moved forward (never back: webhooks arrive
     * late and out of order) and its name filled if it had none (contact.updated). Concurrent
     * calls for a new number create one contact. The events are flushed before returning; if
     * that flush fails the call throws, and calling again (or the periodic sweep) delivers
     * them.
     */
    async recordInbound(orgId, given, opts) {
      const who = normalizeIds(given);
      return serially(`${orgId}:${who.userId ?? who.phone}`, () => recordInbound(orgId, who, opts));
    },

    async changeIds(orgId, oldIds, newIds) {
      const from = normalizeIds(oldIds);
      const to = normalizeIds(newIds);
      return serially(`${orgId}:${from.userId ?? from.phone}`, () => changeIds(orgId, from, to));
    },
  };
}

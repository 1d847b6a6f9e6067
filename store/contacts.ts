import type { Db, Filter } from 'mongodb';
import { normalizePhone, requirePhone } from '../lib/phone';
import { escapeRegex } from '../lib/regex';
import { bulkUpsert } from './contact-bulk';
import {
  newContactDoc,
  normalizePatch,
  type ContactInput,
  type ContactPatch,
  type ContactSource,
} from './contact-fields';
import { contactWriter, duplicatePhone, type ChangeResult } from './contact-writes';
import type { ContactDoc } from './documents';
import type { OutboxRelay } from './outbox';

export interface ContactListQuery {
  page: number;
  limit: number;
  /** Part of the name (any case) or of the phone number (with or without '+'). */
  search?: string;
  tag?: string;
  stage?: string;
}

const MAX_ATTEMPTS = 5;

/**
 * Contacts, unique by phone number within an organization. Every change is written together
 * with its event (see outbox.ts); callers flush `contacts` for the id afterwards, except
 * recordInbound, which flushes itself.
 */
export function contactRepository(db: Db, outbox: OutboxRelay) {
  const col = db.collection<ContactDoc>('contacts');
  const writer = contactWriter(col);

  function listFilter(orgId: string, q: Omit<ContactListQuery, 'page' | 'limit'>) {
    const filter: Filter<ContactDoc> = { org_id: orgId };
    if (q.tag) filter.tags = q.tag;
    if (q.stage) filter.stage = q.stage;
    const search = q.search?.trim();
    if (search) {
      const or: Filter<ContactDoc>[] = [{ name: { $regex: escapeRegex(search), $options: 'i' } }];
      const digits = search.replace(/[\s\-().+]/g, '');
      if (/^\d+$/.test(digits)) or.push({ phone_number: { $regex: escapeRegex(digits) } });
      filter.$or = or;
    }
    return filter;
  }

  return {
    get(orgId: string, id: string) {
      return col.findOne({ _id: id, org_id: orgId });
    },

    async findByPhone(orgId: string, phone: string): Promise<ContactDoc | null> {
      const phoneNumber = normalizePhone(phone);
      return phoneNumber ? col.findOne({ org_id: orgId, phone_number: phoneNumber }) : null;
    },

    /** Newest first; `total` counts every contact the filters match. */
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
      return { contacts, total };
    },

    /** Throws a ConflictError when the organization already has the phone number. */
    async create(
      orgId: string,
      input: ContactInput,
      source: ContactSource = 'api',
    ): Promise<ContactDoc> {
      const doc = newContactDoc(orgId, normalizePatch(input), source);
      if (!(await writer.insert(doc))) throw duplicatePhone(doc.phone_number);
      return doc;
    },

    /**
     * The organization's contact for `phone`, created from `source` when there is none (a send
     * to a new number). The caller flushes `contacts` for a new one.
     */
    async ensure(orgId: string, phone: string, source: ContactSource): Promise<ContactDoc> {
      const phoneNumber = requirePhone(phone);
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const existing = await col.findOne({ org_id: orgId, phone_number: phoneNumber });
        if (existing) return existing;
        const doc = newContactDoc(orgId, { phone_number: phoneNumber }, source);
        if (await writer.insert(doc)) return doc;
      }
      throw new Error(`Contact ${phoneNumber} kept changing while being created`);
    },

    /** Applies the given fields; null when the contact does not exist in the organization. */
    update(orgId: string, id: string, patch: ContactPatch): Promise<ChangeResult | null> {
      const normalized = normalizePatch(patch);
      return writer.change(orgId, { _id: id }, () => normalized);
    },

    upsertMany(orgId: string, rows: readonly ContactInput[]) {
      return bulkUpsert(col, writer, orgId, rows);
    },

    /**
     * Deletes for good. Pending events are flushed first, and the delete only lands on a
     * contact with none pending, so no recorded change is lost with the document.
     */
    async delete(orgId: string, id: string): Promise<boolean> {
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
    async recordInbound(
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
          const doc = newContactDoc(
            orgId,
            { phone_number: phoneNumber, name, opted_in: true },
            'whatsapp_webhook',
            { lastInboundAt: opts.at },
          );
          // Lost the race to a concurrent call: go round again as an update.
          if (!(await writer.insert(doc))) continue;
          await outbox.flush('contacts', doc._id);
          return { contact: doc, created: true };
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
        const contact = await col.findOne({ _id: existing._id, org_id: orgId });
        if (!contact) continue;
        await outbox.flush('contacts', contact._id);
        return { contact, created: false };
      }
      throw new Error(`Contact ${phoneNumber} kept changing while recording an inbound message`);
    },
  };
}

export type ContactRepository = ReturnType<typeof contactRepository>;

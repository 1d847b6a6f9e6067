import type pg from 'pg';
import { mapLimit } from '../../lib/concurrency';
import { DomainError } from '../../lib/errors';
import { normalizePhone, requirePhone } from '../../lib/phone';
import {
  changedFields,
  contactUpdatedEvent,
  duplicateContact,
  duplicatePhone,
  duplicateUserId,
  groupByPhone,
  idChange,
  inboundContact,
  inboundFill,
  newContact,
  normalizeIds,
  pickMatch,
  normalizePatch,
  prepareBulkRows,
  type ChangeResult,
  type ContactChanges,
  type ContactPatch,
  type CustomerIds,
  type EditableField,
} from '../contact-fields';
import type { ContactRepository, ContactListQuery } from '../contract/contacts';
import type { ContactDoc, EventDoc, OutboxEvent } from '../documents';
import type { EventFeed } from '../event-feed';
import { eventDoc } from '../events';
import {
  insertValues,
  isUniqueViolation,
  json,
  many,
  one,
  transaction,
  type Queryable,
} from './db';
import { insertEvents } from './events';

export const COLUMNS = [
  'id',
  'org_id',
  'phone_number',
  'user_id',
  'parent_user_id',
  'username',
  'name',
  'email',
  'tags',
  'stage',
  'custom_fields',
  'opted_in',
  'last_inbound_at',
  'source',
  'created_at',
  'updated_at',
];
const UNIQUE_PHONE = 'contacts_org_id_phone_number_key';
const UNIQUE_USER_ID = 'contacts_org_id_user_id_key';
const UPDATE_CONCURRENCY = 8;

const likePattern = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * Contacts, unique by phone number within an organization. Every change and its event are
 * written in one transaction; the event is announced once it is committed.
 */
export function contactRepository(pool: pg.Pool, feed: EventFeed): ContactRepository {
  /** Writes `fn`'s change and the events it returns in one transaction, then announces them. */
  async function withEvents<T>(
    orgId: string,
    fn: (client: pg.PoolClient) => Promise<{ result: T; events: OutboxEvent[] }>,
  ): Promise<T> {
    let recorded: EventDoc[] = [];
    const result = await transaction(pool, async (client) => {
      const { result, events } = await fn(client);
      recorded = await insertEvents(
        client,
        events.map((e) => eventDoc(orgId, e)),
      );
      return result;
    });
    feed.publish(recorded);
    return result;
  }

  /** Applies `patch` to the locked `current` row; the contact.updated event if anything changed. */
  async function change(
    client: pg.PoolClient,
    current: ContactDoc,
    patch: ContactPatch,
  ): Promise<{ result: ChangeResult; events: OutboxEvent[] }> {
    const changes: ContactChanges = changedFields(current, patch);
    const fields = Object.keys(changes) as EditableField[];
    if (!fields.length) return { result: { contact: current, changes: [] }, events: [] };
    const now = new Date();
    const values = fields.map((f) => (f === 'custom_fields' ? json(changes[f]) : changes[f]));
    const assignments = fields.map((f, i) => `${f} = $${i + 3}`);
    await client.query(
      `UPDATE contacts SET ${assignments.join(', ')}, updated_at = $2 WHERE id = $1`,
      [current._id, now, ...values],
    );
    const after: ContactDoc = { ...current, ...changes, updated_at: now };
    return {
      result: { contact: after, changes: fields },
      events: [contactUpdatedEvent(current, after, changes)],
    };
  }

  const lockById = (client: pg.PoolClient, orgId: string, id: string) =>
    one<ContactDoc>(client, 'SELECT * FROM contacts WHERE id = $1 AND org_id = $2 FOR UPDATE', [
      id,
      orgId,
    ]);
  const lockByPhone = (client: pg.PoolClient, orgId: string, phone: string) =>
    one<ContactDoc>(
      client,
      'SELECT * FROM contacts WHERE org_id = $1 AND phone_number = $2 FOR UPDATE',
      [orgId, phone],
    );

  /** The contacts holding `who`'s phone number or user id, locked, and the one to use. */
  async function lockMatch(
    client: pg.PoolClient,
    orgId: string,
    who: Pick<CustomerIds, 'phone' | 'userId'>,
  ) {
    const rows = await many<ContactDoc>(
      client,
      `SELECT * FROM contacts WHERE org_id = $1 AND (phone_number = $2 OR user_id = $3)
       ORDER BY id FOR UPDATE`,
      [orgId, who.phone, who.userId],
    );
    return pickMatch(rows, who);
  }

  /** Moves the window clock forward, never back: it is not contact data and records no event. */
  async function moveWindow(client: pg.PoolClient, current: ContactDoc, at: Date | null) {
    if (!at || (current.last_inbound_at && current.last_inbound_at >= at)) return current;
    await client.query('UPDATE contacts SET last_inbound_at = $2 WHERE id = $1', [current._id, at]);
    return { ...current, last_inbound_at: at };
  }

  /** Inserts new contacts, skipping phone numbers and user ids already taken; returns the ids inserted. */
  async function insertNew(client: Queryable, docs: ContactDoc[]): Promise<Set<string>> {
    if (!docs.length) return new Set();
    const rows = docs.map((d) => ({ ...d }));
    const { text, values } = insertValues('contacts', COLUMNS, rows, ['custom_fields']);
    const res = await client.query<{ id: string }>(
      `${text} ON CONFLICT DO NOTHING RETURNING id`,
      values,
    );
    return new Set(res.rows.map((r) => r.id));
  }

  async function findByPhone(orgId: string, phone: string): Promise<ContactDoc | null> {
    const phoneNumber = normalizePhone(phone);
    if (!phoneNumber) return null;
    return one(pool, 'SELECT * FROM contacts WHERE org_id = $1 AND phone_number = $2', [
      orgId,
      phoneNumber,
    ]);
  }

  function listWhere(orgId: string, q: Omit<ContactListQuery, 'page' | 'limit'>) {
    const where = ['org_id = $1'];
    const values: unknown[] = [orgId];
    const add = (clause: (n: string) => string, value: unknown) => {
      values.push(value);
      where.push(clause(`$${values.length}`));
    };
    if (q.tag) add((n) => `tags @> ARRAY[${n}]::text[]`, q.tag);
    if (q.stage) add((n) => `stage = ${n}`, q.stage);
    if (q.user_id) add((n) => `user_id = ${n}`, q.user_id);
    const search = q.search?.trim();
    if (search) {
      values.push(likePattern(search));
      const p = `$${values.length}`;
      const byName = `(name ILIKE ${p} OR username ILIKE ${p} OR user_id ILIKE ${p})`;
      const digits = search.replace(/[\s\-().+]/g, '');
      if (/^\d+$/.test(digits)) {
        values.push(likePattern(digits));
        where.push(`(${byName} OR phone_number LIKE $${values.length})`);
      } else where.push(byName);
    }
    return { where: where.join(' AND '), values };
  }

  const recordInbound: ContactRepository['recordInbound'] = async (orgId, given, opts) => {
    const who = normalizeIds(given);
    const name = opts.name?.trim() || null;
    const fresh = inboundContact(orgId, who, name, opts.at);
    return withEvents<{ contact: ContactDoc; created: boolean }>(orgId, async (client) => {
      if ((await insertNew(client, [fresh.contact])).size) {
        return { result: { contact: fresh.contact, created: true }, events: [fresh.event] };
      }
      const match = await lockMatch(client, orgId, who);
      if (!match.contact) throw new Error('The contact was deleted while recording a message');
      const current = await moveWindow(client, match.contact, opts.at);
      const taken = {
        phone: !!match.byPhone && match.byPhone !== match.contact,
        userId: !!match.byUserId && match.byUserId !== match.contact,
      };
      const { result, events } = await change(
        client,
        current,
        inboundFill(current, who, name, taken),
      );
      return { result: { contact: result.contact, created: false }, events };
    });
  };

  return {
    get: (orgId, id) =>
      one(pool, 'SELECT * FROM contacts WHERE id = $1 AND org_id = $2', [id, orgId]),

    getMany: (orgId, ids) =>
      many(pool, 'SELECT * FROM contacts WHERE org_id = $1 AND id = ANY($2)', [orgId, ids]),

    findByPhone,

    async findByUserId(orgId, userId) {
      return one(pool, 'SELECT * FROM contacts WHERE org_id = $1 AND user_id = $2', [
        orgId,
        userId.trim(),
      ]);
    },

    async list(orgId, q) {
      const { where, values } = listWhere(orgId, q);
      const n = values.length;
      const [contacts, count] = await Promise.all([
        many<ContactDoc>(
          pool,
          `SELECT * FROM contacts WHERE ${where}
           ORDER BY created_at DESC, id DESC LIMIT $${n + 1} OFFSET $${n + 2}`,
          [...values, q.limit, (q.page - 1) * q.limit],
        ),
        // Without filters, the organization's kept count (migration 0003) instead of a scan.
        pool.query<{ total: number }>(
          n === 1
            ? 'SELECT total FROM contact_counts WHERE org_id = $1'
            : `SELECT count(*) AS total FROM contacts WHERE ${where}`,
          values,
        ),
      ]);
      return { contacts, total: count.rows[0]?.total ?? 0 };
    },

    async create(orgId, input, source = 'api') {
      const { contact, event } = newContact(orgId, normalizePatch(input), source);
      return withEvents(orgId, async (client) => {
        if (!(await insertNew(client, [contact])).size) throw duplicateContact(contact);
        return { result: contact, events: [event] };
      });
    },

    async ensure(orgId, phone, source) {
      const phoneNumber = requirePhone(phone);
      const existing = await findByPhone(orgId, phoneNumber);
      if (existing) return existing;
      const { contact, event } = newContact(orgId, { phone_number: phoneNumber }, source);
      const created = await withEvents(orgId, async (client) => {
        const inserted = (await insertNew(client, [contact])).size === 1;
        return { result: inserted, events: inserted ? [event] : [] };
      });
      if (created) return contact;
      // Created concurrently by another call: that one is the contact.
      const found = await findByPhone(orgId, phoneNumber);
      if (!found) throw new Error(`Contact ${phoneNumber} was created and deleted meanwhile`);
      return found;
    },

    async update(orgId, id, patch) {
      const normalized = normalizePatch(patch);
      try {
        return await withEvents(orgId, async (client) => {
          const current = await lockById(client, orgId, id);
          if (!current) return { result: null, events: [] };
          return change(client, current, normalized);
        });
      } catch (err) {
        if (isUniqueViolation(err, UNIQUE_PHONE) && normalized.phone_number) {
          throw duplicatePhone(normalized.phone_number);
        }
        if (isUniqueViolation(err, UNIQUE_USER_ID) && normalized.user_id) {
          throw duplicateUserId(normalized.user_id);
        }
        throw err;
      }
    },

    async upsertMany(orgId, rows) {
      const { valid, results } = prepareBulkRows(rows);
      const groups = groupByPhone(valid);
      const phones = [...groups.keys()];
      const known = new Set(
        (
          await pool.query<{ phone_number: string }>(
            'SELECT phone_number FROM contacts WHERE org_id = $1 AND phone_number = ANY($2::text[])',
            [orgId, phones],
          )
        ).rows.map((r) => r.phone_number),
      );

      // The first row of each unknown number creates it: one statement for all of them.
      const now = new Date();
      const creations = phones
        .filter((p) => !known.has(p))
        .map((p) => {
          const row = groups.get(p)![0]!;
          return { row, ...newContact(orgId, row.input, 'bulk', { now }) };
        });
      const inserted = await withEvents(orgId, async (client) => {
        const ids = await insertNew(
          client,
          creations.map((c) => c.contact),
        );
        return {
          result: ids,
          events: creations.filter((c) => ids.has(c.contact._id)).map((c) => c.event),
        };
      });
      for (const c of creations) {
        if (!inserted.has(c.contact._id)) continue;
        results[c.row.index] = { status: 'created', id: c.contact._id, changed: true };
        groups.get(c.row.input.phone_number)!.shift();
      }

      // Every other row updates its number's contact, in order, each in its own transaction.
      await mapLimit([...groups.entries()], UPDATE_CONCURRENCY, async ([phone, group]) => {
        for (const { index, input } of group) {
          try {
            const res = await withEvents(orgId, async (client) => {
              const current = await lockByPhone(client, orgId, phone);
              if (!current) return { result: null, events: [] };
              return change(client, current, input);
            });
            results[index] = res
              ? { status: 'updated', id: res.contact._id, changed: res.changes.length > 0 }
              : { status: 'error', error: 'phone_number: the contact was just deleted' };
          } catch (err) {
            if (!(err instanceof DomainError)) throw err;
            results[index] = { status: 'error', error: err.message };
          }
        }
      });
      return results;
    },

    async delete(orgId, id) {
      const res = await pool.query('DELETE FROM contacts WHERE id = $1 AND org_id = $2', [
        id,
        orgId,
      ]);
      return res.rowCount === 1;
    },

    recordInbound,

    async changeIds(orgId, oldIds, newIds) {
      const from = normalizeIds(oldIds);
      const to = normalizeIds(newIds);
      const changed = await withEvents(orgId, async (client) => {
        const old = (await lockMatch(client, orgId, from)).contact;
        if (!old) return { result: null, events: [] };
        const holders = await lockMatch(client, orgId, to);
        const taken = {
          phone: !!holders.byPhone && holders.byPhone._id !== old._id,
          userId: !!holders.byUserId && holders.byUserId._id !== old._id,
        };
        return change(client, old, idChange(to, taken));
      });
      if (changed) return { contact: changed.contact, created: false };
      return recordInbound(orgId, to, { at: null });
    },
  };
}

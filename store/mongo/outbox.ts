import type { Collection, Db } from 'mongodb';
import type { OutboxCollection, OutboxRelay } from '../contract/events';
import type { ContactDoc, EventDoc, OutboxEvent } from '../documents';
import type { EventFeed } from '../event-feed';
import { eventDoc } from '../events';
import { contactKeys } from './contact-keys';
import { insertManyNew } from './duplicate-key';

/**
 * Events are recorded exactly once without multi-document transactions: a change and its
 * event are written in one single-document update (the event goes into the document's
 * `outbox`), then copied to `events` under the event's own id (idempotent), then the outbox
 * is emptied only if the document has not changed since it was read. A crash at any point
 * leaves the event in the outbox, and the next flush (after the write, or the periodic sweep)
 * copies it; copying twice is a no-op.
 */

const OUTBOX_COLLECTIONS: OutboxCollection[] = ['contacts', 'transfers'];

/** What documents that record events carry: their pending events, written with the change. */
export interface WithOutbox {
  version: number;
  outbox: OutboxEvent[];
  outbox_pending: boolean;
}

/** The fields a new document starts with, carrying its first events. */
export function outboxFields(events: OutboxEvent[]): WithOutbox {
  return { version: 1, outbox: events, outbox_pending: events.length > 0 };
}

/** A new contact as stored, carrying its first event and its unique keys. */
export function newStoredContact({ contact, event }: { contact: ContactDoc; event: OutboxEvent }) {
  return { ...contact, ...contactKeys(contact), ...outboxFields([event]) };
}

/** The update operators that apply a change together with its events. */
export function withEvents(events: OutboxEvent[]) {
  return events.length
    ? { $inc: { version: 1 }, $push: { outbox: { $each: events } }, $set: { outbox_pending: true } }
    : { $inc: { version: 1 } };
}

type OutboxDoc = WithOutbox & { _id: string; org_id: string };

export function outboxRelay(db: Db, feed: EventFeed): OutboxRelay {
  const events = db.collection<EventDoc>('events');
  const source = (name: OutboxCollection) => db.collection<OutboxDoc>(name);

  async function copy(orgId: string, outbox: OutboxEvent[]): Promise<void> {
    if (!outbox.length) return;
    const now = new Date();
    const docs: EventDoc[] = outbox.map((e) => eventDoc(orgId, e, now));
    // Inserts that a concurrent flush beat are refused as duplicates: only the copies that were
    // new here are announced.
    const refused = await insertManyNew(events, docs);
    feed.publish(docs.filter((_, i) => !refused.has(i)));
  }

  async function flushDoc(col: Collection<OutboxDoc>, doc: OutboxDoc): Promise<number> {
    await copy(doc.org_id, doc.outbox);
    // Only if nothing was added meanwhile; otherwise the next flush copies (again) and clears.
    await col.updateOne(
      { _id: doc._id, version: doc.version },
      { $set: { outbox: [], outbox_pending: false } },
    );
    return doc.outbox.length;
  }

  return {
    /** Copies one document's pending events; call right after writing it. */
    async flush(collection: OutboxCollection, id: string): Promise<number> {
      const col = source(collection);
      const doc = await col.findOne(
        { _id: id, outbox_pending: true },
        { projection: { org_id: 1, version: 1, outbox: 1 } },
      );
      return doc ? flushDoc(col, doc) : 0;
    },

    /** Copies every pending event left behind (a crash between write and flush). */
    async sweep(limit = 1_000): Promise<number> {
      let copied = 0;
      for (const name of OUTBOX_COLLECTIONS) {
        const col = source(name);
        const pending = await col
          .find({ outbox_pending: true }, { projection: { org_id: 1, version: 1, outbox: 1 } })
          .limit(limit)
          .toArray();
        for (const doc of pending) copied += await flushDoc(col, doc);
      }
      return copied;
    },

    /** flush() for the many documents of one bulk write: one read, one copy, few clears. */
    async flushMany(collection: OutboxCollection, ids: readonly string[]): Promise<number> {
      if (!ids.length) return 0;
      const col = source(collection);
      const docs = await col
        .find(
          { _id: { $in: [...ids] }, outbox_pending: true },
          { projection: { org_id: 1, version: 1, outbox: 1 } },
        )
        .toArray();
      const byOrg = new Map<string, OutboxEvent[]>();
      const byVersion = new Map<number, string[]>();
      for (const d of docs) {
        if (!byOrg.has(d.org_id)) byOrg.set(d.org_id, []);
        byOrg.get(d.org_id)?.push(...d.outbox);
        if (!byVersion.has(d.version)) byVersion.set(d.version, []);
        byVersion.get(d.version)?.push(d._id);
      }
      for (const [orgId, outbox] of byOrg) await copy(orgId, outbox);
      // As in flushDoc, a document that changed since it was read keeps its outbox.
      for (const [version, group] of byVersion) {
        await col.updateMany(
          { _id: { $in: group }, version },
          { $set: { outbox: [], outbox_pending: false } },
        );
      }
      return docs.reduce((n, d) => n + d.outbox.length, 0);
    },
  };
}

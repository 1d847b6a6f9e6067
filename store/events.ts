import type { Db } from 'mongodb';
import type { EventDoc } from './documents';
import { isDuplicateKey } from './duplicate-key';
import type { EventFeed, EventListener } from './event-feed';

export function eventRepository(db: Db, feed: EventFeed) {
  const col = db.collection<EventDoc>('events');
  return {
    /**
     * Records an event whose id is derived from what happened (`message.read:<wamid>`), so the
     * same fact arriving twice is recorded once. Returns whether it was new.
     */
    async record(
      orgId: string,
      id: string,
      type: string,
      data: Record<string, unknown>,
      at = new Date(),
    ) {
      const doc: EventDoc = {
        _id: id,
        org_id: orgId,
        type,
        timestamp: at,
        data,
        created_at: new Date(),
      };
      try {
        await col.insertOne(doc);
        feed.publish([doc]);
        return true;
      } catch (err) {
        if (isDuplicateKey(err)) return false;
        throw err;
      }
    },
    /** Calls `listener` with the events this process records from now on. */
    onRecorded(listener: EventListener): () => void {
      return feed.subscribe(listener);
    },
    /** Events recorded in [from, to), oldest first, a page at a time, for the delivery sweep. */
    recordedBetween(from: Date, to: Date, limit: number, after?: EventDoc) {
      const page = after
        ? {
            $or: [
              { created_at: { $gt: after.created_at } },
              { created_at: after.created_at, _id: { $gt: after._id } },
            ],
          }
        : {};
      return col
        .find({ created_at: { $gte: from, $lt: to }, ...page })
        .sort({ created_at: 1, _id: 1 })
        .limit(limit)
        .toArray();
    },
    async purgeBefore(before: Date): Promise<number> {
      return (await col.deleteMany({ created_at: { $lt: before } })).deletedCount;
    },
    list(orgId: string, filter: { type?: string } = {}, limit = 100) {
      return col
        .find({ org_id: orgId, ...(filter.type ? { type: filter.type } : {}) })
        .sort({ created_at: -1 })
        .limit(limit)
        .toArray();
    },
  };
}

export type EventRepository = ReturnType<typeof eventRepository>;

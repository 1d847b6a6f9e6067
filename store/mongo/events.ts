import type { Db } from 'mongodb';
import type { EventRepository } from '../contract/events';
import type { EventDoc } from '../documents';
import type { EventFeed } from '../event-feed';
import { eventDoc } from '../events';
import { isDuplicateKey } from './duplicate-key';

export function eventRepository(db: Db, feed: EventFeed): EventRepository {
  const col = db.collection<EventDoc>('events');
  return {
    async record(orgId, id, type, data, at = new Date()) {
      const doc = eventDoc(orgId, { id, type, timestamp: at, data });
      try {
        await col.insertOne(doc);
        feed.publish([doc]);
        return true;
      } catch (err) {
        if (isDuplicateKey(err)) return false;
        throw err;
      }
    },
    /** One insert per event: FerretDB checks correctness here, not speed. */
    async recordMany(events) {
      const inserted: EventDoc[] = [];
      const seen = new Set<string>();
      try {
        for (const doc of events) {
          if (seen.has(doc._id)) continue;
          seen.add(doc._id);
          try {
            await col.insertOne(doc);
            inserted.push(doc);
          } catch (err) {
            if (!isDuplicateKey(err)) throw err;
          }
        }
      } finally {
        feed.publish(inserted);
      }
      return inserted;
    },
    onRecorded(listener) {
      return feed.subscribe(listener);
    },
    recordedBetween(from, to, limit, after) {
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
    get(id) {
      return col.findOne({ _id: id });
    },
    async purgeBefore(before) {
      return (await col.deleteMany({ created_at: { $lt: before } })).deletedCount;
    },
    list(orgId, filter = {}, limit = 100) {
      return col
        .find({ org_id: orgId, ...(filter.type ? { type: filter.type } : {}) })
        .sort({ created_at: -1 })
        .limit(limit)
        .toArray();
    },
  };
}

import type { Db } from 'mongodb';
import type { EventDoc } from './documents';
import { isDuplicateKey } from './duplicate-key';

export function eventRepository(db: Db) {
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
      try {
        await col.insertOne({
          _id: id,
          org_id: orgId,
          type,
          timestamp: at,
          data,
          created_at: new Date(),
          dispatched: false,
        });
        return true;
      } catch (err) {
        if (isDuplicateKey(err)) return false;
        throw err;
      }
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

import type pg from 'pg';
import type { EventRepository } from '../contract/events';
import type { EventDoc } from '../documents';
import type { EventFeed } from '../event-feed';
import { eventDoc } from '../events';
import { json, many, one, type Queryable } from './db';

/** Events per statement. */
const CHUNK = 5_000;

/**
 * Inserts the events given as arrays from parameter `$first` on (see eventParams), skipping ids
 * already stored, and returns the ids inserted. One statement text whatever the count.
 */
export const insertEventsFrom = (first: number) => {
  const [id, org, type, timestamp, data, created] = [0, 1, 2, 3, 4, 5].map((i) => first + i);
  return `INSERT INTO events (id, org_id, type, timestamp, data, created_at)
    SELECT * FROM unnest($${id}::text[], $${org}::text[], $${type}::text[],
                         $${timestamp}::timestamptz[], $${data}::jsonb[], $${created}::timestamptz[])
    ON CONFLICT (id) DO NOTHING RETURNING id`;
};

export function eventParams(events: readonly EventDoc[]): unknown[] {
  return [
    events.map((e) => e._id),
    events.map((e) => e.org_id),
    events.map((e) => e.type),
    // ISO texts: the driver formats each Date of an array in local time, far more slowly.
    events.map((e) => e.timestamp.toISOString()),
    events.map((e) => json(e.data)),
    events.map((e) => e.created_at.toISOString()),
  ];
}

const INSERT_EVENTS = insertEventsFrom(1);

/**
 * Inserts events, skipping ids already stored; returns those inserted. Called inside the
 * transaction of the change they describe, so the change and its events commit together.
 */
export async function insertEvents(
  db: Queryable,
  events: readonly EventDoc[],
): Promise<EventDoc[]> {
  if (!events.length) return [];
  const res = await db.query<{ id: string }>({
    name: 'insert-events',
    text: INSERT_EVENTS,
    values: eventParams(events),
  });
  const inserted = new Set(res.rows.map((r) => r.id));
  return events.filter((e) => inserted.has(e._id));
}

export function eventRepository(pool: pg.Pool, feed: EventFeed): EventRepository {
  return {
    async record(orgId, id, type, data, at = new Date()) {
      const doc = eventDoc(orgId, { id, type, timestamp: at, data });
      const inserted = await insertEvents(pool, [doc]);
      feed.publish(inserted);
      return inserted.length === 1;
    },
    async recordMany(events) {
      const unique = [...new Map(events.map((e) => [e._id, e])).values()];
      const inserted: EventDoc[] = [];
      try {
        for (let i = 0; i < unique.length; i += CHUNK) {
          inserted.push(...(await insertEvents(pool, unique.slice(i, i + CHUNK))));
        }
      } finally {
        feed.publish(inserted);
      }
      return inserted;
    },
    onRecorded: (listener) => feed.subscribe(listener),
    recordedBetween(from, to, limit, after) {
      return after
        ? many(
            pool,
            `SELECT * FROM events WHERE created_at >= $1 AND created_at < $2
               AND (created_at, id) > ($3, $4)
             ORDER BY created_at, id LIMIT $5`,
            [from, to, after.created_at, after._id, limit],
          )
        : many(
            pool,
            `SELECT * FROM events WHERE created_at >= $1 AND created_at < $2
             ORDER BY created_at, id LIMIT $3`,
            [from, to, limit],
          );
    },
    get: (id) => one(pool, 'SELECT * FROM events WHERE id = $1', [id]),
    async purgeBefore(before) {
      return (await pool.query('DELETE FROM events WHERE created_at < $1', [before])).rowCount ?? 0;
    },
    list(orgId, filter = {}, limit = 100) {
      return filter.type
        ? many(
            pool,
            `SELECT * FROM events WHERE org_id = $1 AND type = $2 ORDER BY created_at DESC LIMIT $3`,
            [orgId, filter.type, limit],
          )
        : many(pool, `SELECT * FROM events WHERE org_id = $1 ORDER BY created_at DESC LIMIT $2`, [
            orgId,
            limit,
          ]);
    },
  };
}

import type pg from 'pg';
import type { ParkedDelivery, WebhookBacklogRepository } from '../contract/webhooks';
import { insertValues, many } from './db';

const COLUMNS = [
  'id',
  'org_id',
  'endpoint_id',
  'event_id',
  'run',
  'attempt',
  'event_at',
  'parked_at',
];
/** Rows per statement: well under PostgreSQL's 65,535 parameters. */
const CHUNK = 2_000;

export function webhookBacklogRepository(pool: pg.Pool): WebhookBacklogRepository {
  return {
    async park(docs) {
      for (let i = 0; i < docs.length; i += CHUNK) {
        const rows = docs.slice(i, i + CHUNK).map((d) => ({ ...d }));
        const { text, values } = insertValues('webhook_backlog', COLUMNS, rows);
        await pool.query(`${text} ON CONFLICT (id) DO NOTHING`, values);
      }
    },
    parkedAmong: (ids) =>
      ids.length
        ? many(pool, 'SELECT * FROM webhook_backlog WHERE id = ANY($1::text[])', [ids])
        : Promise.resolve([]),
    oldest: (endpointId, limit) =>
      many<ParkedDelivery>(
        pool,
        `SELECT b.*, d.event_type, d.body FROM (
           SELECT * FROM webhook_backlog WHERE endpoint_id = $1
           ORDER BY event_at, id LIMIT $2) b
         LEFT JOIN webhook_dispatches d ON d.id = b.event_id
         ORDER BY b.event_at, b.id`,
        [endpointId, limit],
      ),
    async setAttempt(id, attempt) {
      await pool.query('UPDATE webhook_backlog SET attempt = $2 WHERE id = $1', [id, attempt]);
    },
    async remove(ids) {
      if (ids.length) {
        await pool.query('DELETE FROM webhook_backlog WHERE id = ANY($1::text[])', [ids]);
      }
    },
    async end(endpointId, { outcome, error, at }, limit) {
      // One statement: a delivery leaves the backlog exactly when its last record is written.
      const res = await pool.query<{ n: number }>(
        `WITH ended AS (
           DELETE FROM webhook_backlog WHERE id IN (
             SELECT id FROM webhook_backlog WHERE endpoint_id = $1
             ORDER BY event_at, id LIMIT $5)
           RETURNING *),
         recorded AS (
           INSERT INTO webhook_attempts (id, org_id, endpoint_id, event_id, run, attempt, at,
             status_code, latency_ms, error, outcome, next_attempt_at)
           SELECT id || ':' || attempt, org_id, endpoint_id, event_id, run, attempt, $4,
             NULL, NULL, $3, $2, NULL
           FROM ended
           ON CONFLICT (id) DO NOTHING)
         SELECT count(*) AS n FROM ended`,
        [endpointId, outcome, error, at, limit],
      );
      return res.rows[0]?.n ?? 0;
    },
    async count(endpointId) {
      const res = await pool.query<{ n: number }>(
        'SELECT count(*) AS n FROM webhook_backlog WHERE endpoint_id = $1',
        [endpointId],
      );
      return res.rows[0]?.n ?? 0;
    },
    async endpoints(limit) {
      // A loose index scan: one index probe per endpoint, however long its backlog.
      const res = await pool.query<{ endpoint_id: string; org_id: string }>(
        `WITH RECURSIVE e AS (
           (SELECT endpoint_id FROM webhook_backlog ORDER BY endpoint_id LIMIT 1)
           UNION ALL
           SELECT (SELECT b.endpoint_id FROM webhook_backlog b
                   WHERE b.endpoint_id > e.endpoint_id ORDER BY b.endpoint_id LIMIT 1)
           FROM e WHERE e.endpoint_id IS NOT NULL)
         SELECT e.endpoint_id,
           (SELECT org_id FROM webhook_backlog b WHERE b.endpoint_id = e.endpoint_id LIMIT 1)
             AS org_id
         FROM e WHERE e.endpoint_id IS NOT NULL LIMIT $1`,
        [limit],
      );
      return res.rows;
    },
  };
}

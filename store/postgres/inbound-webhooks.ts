import type pg from 'pg';
import type { InboundWebhookRepository } from '../contract/inbound-webhooks';
import { newInboundWebhooks } from '../inbound-webhooks';
import { many, one } from './db';

/**
 * A batch of webhooks received together, as arrays: one statement text whatever the count, so
 * each connection plans it once. The bodies come as one JSON array of strings (escaped natively,
 * where a text[] literal is escaped body by body in JavaScript). The rest of each row is as
 * `newInboundWebhooks` makes it.
 */
const SAVE_MANY = `
  INSERT INTO inbound_webhooks (id, provider, body, received_at, processed_at, attempts)
  SELECT u.id, u.provider, b.body, $4, CASE WHEN u.processed THEN $4::timestamptz END, 0
  FROM unnest($1::text[], $2::text[], $5::boolean[]) WITH ORDINALITY AS u(id, provider, processed, n)
  JOIN json_array_elements_text($3::json) WITH ORDINALITY AS b(body, n) USING (n)`;

export function inboundWebhookRepository(pool: pg.Pool): InboundWebhookRepository {
  return {
    async saveMany(bodies) {
      const docs = newInboundWebhooks(bodies);
      if (!docs.length) return docs;
      await pool.query({
        name: 'save-webhooks',
        text: SAVE_MANY,
        values: [
          docs.map((d) => d._id),
          docs.map((d) => d.provider),
          JSON.stringify(docs.map((d) => d.body)),
          docs[0]!.received_at,
          docs.map((d) => d.processed_at !== null),
        ],
      });
      return docs;
    },
    async markProcessed(ids) {
      if (!ids.length) return;
      await pool.query(
        `UPDATE inbound_webhooks
         SET processed_at = now(), last_error = NULL, next_attempt_at = NULL, dead_at = NULL
         WHERE id = ANY($1::text[])`,
        [ids],
      );
    },
    async markFailed(id, error, nextAttemptAt) {
      await pool.query(
        `UPDATE inbound_webhooks SET attempts = attempts + 1, last_error = $2, next_attempt_at = $3
         WHERE id = $1`,
        [id, error, nextAttemptAt],
      );
    },
    async markDead(id, error, orgIds, at) {
      await pool.query(
        `UPDATE inbound_webhooks
         SET attempts = attempts + 1, last_error = $2, org_ids = $3, dead_at = $4,
             next_attempt_at = NULL
         WHERE id = $1`,
        [id, error, orgIds, at],
      );
    },
    pending: (olderThanMs, limit = 500, now = new Date()) =>
      many(
        pool,
        `SELECT * FROM inbound_webhooks
         WHERE processed_at IS NULL AND dead_at IS NULL AND received_at <= $1
           AND (next_attempt_at IS NULL OR next_attempt_at <= $2)
         ORDER BY received_at LIMIT $3`,
        [new Date(now.getTime() - olderThanMs), now, limit],
      ),
    async pendingStats() {
      // On the partial index inbound_webhooks_pending (received_at WHERE processed_at IS NULL).
      const { rows } = await pool.query<{ count: number; oldest: Date | null }>(
        `SELECT count(*) AS count, min(received_at) AS oldest FROM inbound_webhooks
         WHERE processed_at IS NULL AND dead_at IS NULL`,
      );
      return { count: rows[0]?.count ?? 0, oldestReceivedAt: rows[0]?.oldest ?? null };
    },
    async countDead() {
      const { rows } = await pool.query<{ count: number }>(
        'SELECT count(*) AS count FROM inbound_webhooks WHERE dead_at IS NOT NULL',
      );
      return rows[0]?.count ?? 0;
    },
    listDead: (orgId, limit) =>
      many(
        pool,
        `SELECT * FROM inbound_webhooks WHERE dead_at IS NOT NULL AND $1 = ANY(org_ids)
         ORDER BY dead_at DESC, id LIMIT $2`,
        [orgId, limit],
      ),
    revive: (orgId, id) =>
      one(
        pool,
        `UPDATE inbound_webhooks SET dead_at = NULL, attempts = 0, next_attempt_at = NULL
         WHERE id = $1 AND dead_at IS NOT NULL AND $2 = ANY(org_ids) RETURNING *`,
        [id, orgId],
      ),
    get: (id) => one(pool, 'SELECT * FROM inbound_webhooks WHERE id = $1', [id]),
    async purgeProcessed(before) {
      const res = await pool.query(
        'DELETE FROM inbound_webhooks WHERE processed_at IS NOT NULL AND processed_at <= $1',
        [before],
      );
      return res.rowCount ?? 0;
    },
  };
}

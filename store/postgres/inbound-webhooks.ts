import type pg from 'pg';
import type { InboundWebhookRepository } from '../contract/inbound-webhooks';
import { MAX_INBOUND_ATTEMPTS, newInboundWebhooks } from '../inbound-webhooks';
import { insertValues, many, one } from './db';

const COLUMNS = ['id', 'provider', 'body', 'received_at', 'processed_at', 'attempts', 'last_error'];
/** Rows per statement: well under PostgreSQL's 65,535 parameters. */
const CHUNK = 5_000;

export function inboundWebhookRepository(pool: pg.Pool): InboundWebhookRepository {
  return {
    async saveMany(bodies) {
      const docs = newInboundWebhooks(bodies);
      for (let i = 0; i < docs.length; i += CHUNK) {
        const rows = docs.slice(i, i + CHUNK).map((d) => ({ ...d }));
        const { text, values } = insertValues('inbound_webhooks', COLUMNS, rows);
        await pool.query(text, values);
      }
      return docs;
    },
    async markProcessed(ids) {
      if (!ids.length) return;
      await pool.query(
        `UPDATE inbound_webhooks SET processed_at = now(), last_error = NULL
         WHERE id = ANY($1::text[])`,
        [ids],
      );
    },
    async markFailed(id, error) {
      await pool.query(
        'UPDATE inbound_webhooks SET attempts = attempts + 1, last_error = $2 WHERE id = $1',
        [id, error],
      );
    },
    pending: (olderThanMs, limit = 500) =>
      many(
        pool,
        `SELECT * FROM inbound_webhooks
         WHERE processed_at IS NULL AND received_at <= $1 AND attempts < $2
         ORDER BY received_at LIMIT $3`,
        [new Date(Date.now() - olderThanMs), MAX_INBOUND_ATTEMPTS, limit],
      ),
    async pendingStats() {
      // On the partial index inbound_webhooks_pending (received_at WHERE processed_at IS NULL).
      const { rows } = await pool.query<{ count: number; oldest: Date | null }>(
        `SELECT count(*) AS count, min(received_at) AS oldest FROM inbound_webhooks
         WHERE processed_at IS NULL AND attempts < $1`,
        [MAX_INBOUND_ATTEMPTS],
      );
      return { count: rows[0]?.count ?? 0, oldestReceivedAt: rows[0]?.oldest ?? null };
    },
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

import type pg from 'pg';
import type { WooDeliveryRepository } from '../contract/woocommerce';
import { MAX_WOO_HANDOFF_ATTEMPTS } from '../woocommerce';
import { insertValues, many, one } from './db';

const COLUMNS = [
  'id',
  'org_id',
  'store_id',
  'order_id',
  'topic',
  'body',
  'received_at',
  'handed_off_at',
  'attempts',
  'last_error',
];
/** Rows per statement: well under PostgreSQL's 65,535 parameters. */
const CHUNK = 5_000;

export function wooDeliveryRepository(pool: pg.Pool): WooDeliveryRepository {
  return {
    async saveMany(docs) {
      const stored = new Set<string>();
      for (let i = 0; i < docs.length; i += CHUNK) {
        const rows = docs.slice(i, i + CHUNK).map((d) => ({ ...d }));
        const { text, values } = insertValues('woo_deliveries', COLUMNS, rows);
        const res = await pool.query<{ id: string }>(
          `${text} ON CONFLICT (id) DO NOTHING RETURNING id`,
          values,
        );
        for (const row of res.rows) stored.add(row.id);
      }
      return stored;
    },
    async markHandedOff(ids) {
      if (!ids.length) return;
      await pool.query(
        `UPDATE woo_deliveries SET handed_off_at = now(), last_error = NULL
         WHERE id = ANY($1::text[]) AND handed_off_at IS NULL`,
        [ids],
      );
    },
    async markFailed(id, error) {
      await pool.query(
        'UPDATE woo_deliveries SET attempts = attempts + 1, last_error = $2 WHERE id = $1',
        [id, error],
      );
    },
    pending: (olderThanMs, limit = 500) =>
      many(
        pool,
        `SELECT * FROM woo_deliveries
         WHERE handed_off_at IS NULL AND received_at <= $1 AND attempts < $2
         ORDER BY received_at LIMIT $3`,
        [new Date(Date.now() - olderThanMs), MAX_WOO_HANDOFF_ATTEMPTS, limit],
      ),
    get: (id) => one(pool, 'SELECT * FROM woo_deliveries WHERE id = $1', [id]),
    async purgeHandedOff(before) {
      const res = await pool.query(
        'DELETE FROM woo_deliveries WHERE handed_off_at IS NOT NULL AND handed_off_at <= $1',
        [before],
      );
      return res.rowCount ?? 0;
    },
  };
}

import type pg from 'pg';
import type { PaymentEventRepository } from '../contract/payments';
import type { PaymentEventDoc } from '../documents';
import { MAX_PAYMENT_EVENT_ATTEMPTS, newPaymentEventDocs } from '../payment-links';
import { fromRow, insertValues, many, one, type Row } from './db';

const COLUMNS = [
  'id',
  'org_id',
  'gateway',
  'type',
  'kind',
  'link_id',
  'gateway_link_id',
  'payment_id',
  'reason',
  'received_at',
  'processed_at',
  'attempts',
  'last_error',
];
/** Rows per statement: well under PostgreSQL's 65,535 parameters. */
const CHUNK = 2_000;

export function paymentEventRepository(pool: pg.Pool): PaymentEventRepository {
  return {
    async saveMany(events, at = new Date()) {
      const docs = newPaymentEventDocs(events, at);
      const saved: PaymentEventDoc[] = [];
      for (let i = 0; i < docs.length; i += CHUNK) {
        const { text, values } = insertValues(
          'payment_events',
          COLUMNS,
          docs.slice(i, i + CHUNK).map((d) => ({ ...d })),
        );
        const { rows } = await pool.query(
          `${text} ON CONFLICT (id) DO NOTHING RETURNING *`,
          values,
        );
        saved.push(...rows.map((r) => fromRow<PaymentEventDoc>(r as Row)));
      }
      return saved;
    },
    async markProcessed(ids) {
      if (!ids.length) return;
      await pool.query(
        `UPDATE payment_events SET processed_at = now(), last_error = NULL
         WHERE id = ANY($1::text[])`,
        [ids],
      );
    },
    async markFailed(id, error) {
      await pool.query(
        'UPDATE payment_events SET attempts = attempts + 1, last_error = $2 WHERE id = $1',
        [id, error],
      );
    },
    pending: (olderThanMs, limit = 500) =>
      many(
        pool,
        `SELECT * FROM payment_events
         WHERE processed_at IS NULL AND received_at <= $1 AND attempts < $2
         ORDER BY received_at LIMIT $3`,
        [new Date(Date.now() - olderThanMs), MAX_PAYMENT_EVENT_ATTEMPTS, limit],
      ),
    get: (id) => one(pool, 'SELECT * FROM payment_events WHERE id = $1', [id]),
  };
}

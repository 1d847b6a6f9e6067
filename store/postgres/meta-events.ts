import type pg from 'pg';
import type { MetaEventRepository } from '../contract/inbound-webhooks';
import type { MetaEventDoc } from '../documents';
import { insertValues, many } from './db';

const COLUMNS = [
  'id',
  'org_ids',
  'waba_id',
  'phone_number_id',
  'field',
  'value',
  'state',
  'reason',
  'received_at',
];

export function metaEventRepository(pool: pg.Pool): MetaEventRepository {
  return {
    async record(docs) {
      if (!docs.length) return;
      const { text, values } = insertValues(
        'meta_events',
        COLUMNS,
        docs.map((d) => ({ ...d })),
        ['value'],
      );
      await pool.query(
        `${text} ON CONFLICT (id) DO UPDATE SET org_ids = EXCLUDED.org_ids,
           state = EXCLUDED.state, reason = EXCLUDED.reason`,
        values,
      );
    },

    list(orgId, { field, state, limit, before }) {
      const where = ['org_ids @> ARRAY[$1]::text[]'];
      const values: unknown[] = [orgId];
      if (field) where.push(`field = $${values.push(field)}`);
      if (state) where.push(`state = $${values.push(state)}`);
      if (before) {
        where.push(
          `(received_at, id) < ($${values.push(before.received_at)}, $${values.push(before.id)})`,
        );
      }
      return many<MetaEventDoc>(
        pool,
        `SELECT * FROM meta_events WHERE ${where.join(' AND ')}
         ORDER BY received_at DESC, id DESC LIMIT $${values.push(limit)}`,
        values,
      );
    },

    async countUnmatched() {
      const { rows } = await pool.query<{ n: number }>(
        "SELECT count(*) AS n FROM meta_events WHERE state = 'unmatched'",
      );
      return rows[0]!.n;
    },

    async purgeBefore(before) {
      const res = await pool.query('DELETE FROM meta_events WHERE received_at < $1', [before]);
      return res.rowCount ?? 0;
    },
  };
}

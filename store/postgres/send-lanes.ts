import type pg from 'pg';
import type { SendLaneDoc, SendLaneRepository } from '../contract/send-queue';

/** The lease is held (and compared) on the database's clock, the one all processes share. */
const LEASE_UNTIL = `now() + $3::double precision * interval '1 millisecond'`;

export function sendLaneRepository(pool: pg.Pool): SendLaneRepository {
  return {
    async acquire(accountId, owner, leaseMs) {
      // A new owner starts with no rate: the one recorded was its predecessor's.
      const res = await pool.query(
        `INSERT INTO send_lanes (account_id, owner, lease_until, rate, updated_at)
         VALUES ($1, $2, ${LEASE_UNTIL}, 0, now())
         ON CONFLICT (account_id) DO UPDATE SET
           owner = EXCLUDED.owner,
           lease_until = EXCLUDED.lease_until,
           rate = CASE WHEN send_lanes.owner = EXCLUDED.owner THEN send_lanes.rate ELSE 0 END,
           updated_at = now()
         WHERE send_lanes.owner = EXCLUDED.owner OR send_lanes.owner IS NULL
           OR send_lanes.lease_until IS NULL OR send_lanes.lease_until < now()
         RETURNING owner`,
        [accountId, owner, leaseMs],
      );
      return res.rowCount === 1;
    },

    async report(accountId, owner, rate) {
      await pool.query(
        `UPDATE send_lanes SET rate = $3, updated_at = now()
         WHERE account_id = $1 AND owner = $2 AND lease_until >= now()`,
        [accountId, owner, rate],
      );
    },

    async release(accountId, owner) {
      await pool.query(
        `UPDATE send_lanes SET owner = NULL, lease_until = NULL, rate = 0, updated_at = now()
         WHERE account_id = $1 AND owner = $2`,
        [accountId, owner],
      );
    },

    async list(accountIds) {
      const res = await pool.query<SendLaneDoc>(
        accountIds
          ? 'SELECT * FROM send_lanes WHERE account_id = ANY($1::text[]) ORDER BY account_id'
          : 'SELECT * FROM send_lanes ORDER BY account_id',
        accountIds ? [accountIds] : [],
      );
      return res.rows;
    },
  };
}

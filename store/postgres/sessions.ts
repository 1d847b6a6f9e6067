import type pg from 'pg';
import { sha256Hex } from '../../lib/crypto';
import type { SessionRepository } from '../contract/organizations';
import { newSession } from '../sessions';
import { insertValues, one } from './db';

const COLUMNS = ['id', 'org_id', 'user_id', 'token_hash', 'expires_at', 'created_at'];

export function sessionRepository(pool: pg.Pool): SessionRepository {
  return {
    async create(orgId, userId, ttlMs) {
      const created = newSession(orgId, userId, ttlMs);
      const insert = insertValues('sessions', COLUMNS, [{ ...created.doc }]);
      await pool.query(insert.text, insert.values);
      return created;
    },
    findActive: (token, now = new Date()) =>
      one(pool, 'SELECT * FROM sessions WHERE token_hash = $1 AND expires_at > $2', [
        sha256Hex(token),
        now,
      ]),
    async delete(token) {
      const res = await pool.query('DELETE FROM sessions WHERE token_hash = $1', [
        sha256Hex(token),
      ]);
      return res.rowCount === 1;
    },
    async purgeExpired(now = new Date()) {
      return (await pool.query('DELETE FROM sessions WHERE expires_at <= $1', [now])).rowCount ?? 0;
    },
  };
}

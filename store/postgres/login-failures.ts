import type pg from 'pg';
import type { LoginFailureRepository } from '../contract/login-failures';

export function loginFailureRepository(pool: pg.Pool): LoginFailureRepository {
  return {
    async add(email, at) {
      await pool.query('INSERT INTO login_failures (email, at) VALUES ($1, $2)', [email, at]);
    },
    async listSince(email, since) {
      const res = await pool.query<{ at: Date }>(
        'SELECT at FROM login_failures WHERE email = $1 AND at > $2 ORDER BY at, id',
        [email, since],
      );
      return res.rows.map((r) => r.at);
    },
    async clear(email) {
      await pool.query('DELETE FROM login_failures WHERE email = $1', [email]);
    },
    async purgeBefore(before) {
      const res = await pool.query('DELETE FROM login_failures WHERE at <= $1', [before]);
      return res.rowCount ?? 0;
    },
  };
}

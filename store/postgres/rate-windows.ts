import type pg from 'pg';
import type { RateWindowRepository } from '../contract/rate-windows';

/** One row per window counting its claimed blocks; the upsert takes the row's lock. */
export function rateWindowRepository(pool: pg.Pool): RateWindowRepository {
  return {
    async claim(window, blocks) {
      const res = await pool.query<{ block: number }>(
        `INSERT INTO rate_windows (key, window_start, window_end, claimed) VALUES ($1, $2, $3, 1)
         ON CONFLICT (key, window_start) DO UPDATE SET claimed = rate_windows.claimed + 1
         WHERE rate_windows.claimed < $4
         RETURNING claimed - 1 AS block`,
        [window.key, new Date(window.start), new Date(window.end), blocks],
      );
      return res.rows[0]?.block ?? null;
    },
    async purgeEnded(now) {
      const res = await pool.query('DELETE FROM rate_windows WHERE window_end < $1', [
        new Date(now),
      ]);
      return res.rowCount ?? 0;
    },
  };
}

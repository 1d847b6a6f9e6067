import type pg from 'pg';

/**
 * Where a sweep stopped: one row per sweep, by name, in `webhook_recovery` (the table the
 * webhook recovery's sweep, the first of them, created).
 */
export function sweepCursor(pool: pg.Pool, name: string) {
  return {
    async get(): Promise<Date | null> {
      const res = await pool.query<{ through: Date }>(
        'SELECT through FROM webhook_recovery WHERE id = $1',
        [name],
      );
      return res.rows[0]?.through ?? null;
    },
    async set(through: Date): Promise<void> {
      await pool.query(
        `INSERT INTO webhook_recovery (id, through) VALUES ($1, $2)
         ON CONFLICT (id) DO UPDATE SET through = EXCLUDED.through`,
        [name, through],
      );
    },
  };
}

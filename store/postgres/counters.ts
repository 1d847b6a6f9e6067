import type pg from 'pg';
import type { CounterRepository, CounterSample } from '../contract/counters';
import { json } from './db';

/**
 * Counters keyed by name and labels. Labels are jsonb, which keeps an object's keys in one
 * order whatever order they came in, so `{a, b}` and `{b, a}` are one counter.
 */
export function counterRepository(pool: pg.Pool): CounterRepository {
  return {
    async add(samples) {
      if (!samples.length) return;
      // Summed per counter first (one row may not be updated twice by one statement), and
      // written in key order, so concurrent adds over the same counters never deadlock.
      await pool.query(
        `INSERT INTO counters (name, labels, value)
         SELECT name, labels::jsonb, sum(value)
         FROM unnest($1::text[], $2::text[], $3::double precision[]) AS s(name, labels, value)
         GROUP BY name, labels::jsonb
         ORDER BY name, labels::jsonb
         ON CONFLICT (name, labels) DO UPDATE SET value = counters.value + EXCLUDED.value`,
        [
          samples.map((s) => s.name),
          samples.map((s) => json(s.labels)),
          samples.map((s) => s.value),
        ],
      );
    },

    async list() {
      const res = await pool.query<CounterSample>(
        'SELECT name, labels, value FROM counters ORDER BY name, labels',
      );
      return res.rows;
    },
  };
}

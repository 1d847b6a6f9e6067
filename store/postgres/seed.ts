import { createPool } from './db';

/**
 * Synthetic data for benchmarks, written by the database itself: contacts and messages
 * numbered `from + 1` to `to`, all in one organization, so that growing a data set only adds
 * the rows it lacks. Row n is contact n (phone +1555 and n on seven digits) and message n to
 * that contact (wamid `wamid.<n>`, sent); ids are UUIDs derived from n, the same as
 * store/mongo/seed.ts gives.
 */
export interface SeedRange {
  orgId: string;
  accountId: string;
  /** Rows 1 to `from` are already there. */
  from: number;
  to: number;
}

/** Seven digits after +1555. */
export const MAX_SEED_ROWS = 9_999_999;
/** Where the seeded rows' times start; row n is 20 s after row n - 1. */
export const SEED_EPOCH = new Date('2024-01-01T00:00:00Z');
/** Rows per statement: big enough to be quick, small enough to report progress. */
const CHUNK = 250_000;

const CONTACTS = `
  INSERT INTO contacts (id, org_id, phone_number, name, email, tags, stage, custom_fields,
                        opted_in, last_inbound_at, source, created_at, updated_at)
  SELECT md5('contact:' || n)::uuid::text, $1, '+1555' || lpad(n::text, 7, '0'),
         'Contact ' || n,
         CASE WHEN n % 3 = 0 THEN 'contact' || n || '@example.com' END,
         CASE n % 4 WHEN 0 THEN ARRAY['customer'] WHEN 1 THEN ARRAY['lead', 'newsletter']
                    ELSE ARRAY[]::text[] END,
         (ARRAY['lead', 'prospect', 'customer'])[n % 3 + 1],
         jsonb_build_object('plan', (ARRAY['free', 'pro'])[n % 2 + 1]),
         true, NULL, 'bulk', t, t
    FROM generate_series($2::int, $3::int) AS n,
         LATERAL (SELECT $4::timestamptz + n * interval '20 seconds' AS t) AS at`;

// The history's time is written as JSON.stringify writes a Date, like the repositories do.
const MESSAGES = `
  INSERT INTO messages (id, org_id, account_id, contact_id, direction, phone_number, type,
                        content, origin, origin_id, request_hash, wamid, status, status_history,
                        error, created_at, updated_at)
  SELECT md5('message:' || n)::uuid::text, $1, $5, md5('contact:' || n)::uuid::text,
         'outbound', '+1555' || lpad(n::text, 7, '0'), 'template',
         jsonb_build_object(
           'name', 'order_confirmation', 'language', jsonb_build_object('code', 'en'),
           'components', jsonb_build_array(jsonb_build_object(
             'type', 'body', 'parameters',
             jsonb_build_array(jsonb_build_object('type', 'text', 'text', 'Order #' || n))))),
         'api', NULL, NULL, 'wamid.' || n, 'sent',
         jsonb_build_array(jsonb_build_object(
           'status', 'sent',
           'at', to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))),
         NULL, t, t
    FROM generate_series($2::int, $3::int) AS n,
         LATERAL (SELECT $4::timestamptz + n * interval '20 seconds' + interval '1 minute' AS t)
           AS at`;

/**
 * Adds contacts and messages `from + 1` to `to` (see SeedRange), then refreshes the planner's
 * statistics. `progress` hears how many rows of each are in after every statement.
 */
export async function seedPostgres(
  target: { url: string; schema: string },
  range: SeedRange,
  progress?: (rows: number) => void,
): Promise<void> {
  if (!Number.isInteger(range.from) || range.from < 0 || range.to > MAX_SEED_ROWS) {
    throw new Error(`Seed rows must be within 1..${MAX_SEED_ROWS}`);
  }
  const pool = createPool(target.url, target.schema, 1);
  try {
    for (let start = range.from + 1; start <= range.to; start += CHUNK) {
      const end = Math.min(start + CHUNK - 1, range.to);
      await pool.query(CONTACTS, [range.orgId, start, end, SEED_EPOCH]);
      await pool.query(MESSAGES, [range.orgId, start, end, SEED_EPOCH, range.accountId]);
      progress?.(end);
    }
    // VACUUM as well: the visibility map lets counts use index-only scans, and autovacuum
    // would otherwise pick the fresh tables up in the middle of a measurement.
    await pool.query('VACUUM (ANALYZE) contacts, messages');
    // The load's dirty pages are written now rather than in the middle of a measurement; a
    // role that may not checkpoint leaves it to the server.
    await pool.query('CHECKPOINT').catch((err: { code?: string }) => {
      if (err.code !== '42501') throw err;
    });
  } finally {
    await pool.end();
  }
}

/** Drops the schema and everything in it (a benchmark's own). */
export async function dropPostgresSchema(target: { url: string; schema: string }): Promise<void> {
  if (target.schema === 'public' || !/^[a-z_][a-z0-9_]{0,62}$/.test(target.schema)) {
    throw new Error(`Refusing to drop schema '${target.schema}'`);
  }
  const pool = createPool(target.url, 'public', 1);
  try {
    await pool.query(`DROP SCHEMA IF EXISTS ${target.schema} CASCADE`);
  } finally {
    await pool.end();
  }
}

import pg from 'pg';

export type Queryable = pg.Pool | pg.PoolClient;
export type Row = Record<string, unknown>;

/** PostgreSQL's error codes that the store turns into domain answers. */
export const UNIQUE_VIOLATION = '23505';

export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const e = err as { code?: string; constraint?: string } | null;
  return e?.code === UNIQUE_VIOLATION && (!constraint || e.constraint === constraint);
}

// COUNT(*) is bigint, which node-postgres returns as a string: counts here fit a number.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export function createPool(
  url: string,
  schema: string,
  max: number,
  applicationName = 'waflow',
): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max,
    application_name: applicationName,
    // Plans made for each execution, with its parameters: a named statement's cached generic
    // plan is costed on the tables as they were when it was made, and the settle's, made while
    // `messages` held 80 rows, seq-scanned it 300 ms a batch once it held 50,000 (until the
    // next ANALYZE). Planning each batch statement costs about 0.03 ms a message at 1,000/s.
    options: `-c search_path=${schema === 'public' ? 'public' : `${schema},public`} -c plan_cache_mode=force_custom_plan`,
  });
  // An idle client losing its server (a restart) must not crash the process: the pool drops
  // it and the next query connects again.
  pool.on('error', () => {});
  return pool;
}

/** Runs `fn` in one transaction on `client`: committed if it returns, rolled back if it throws. */
export async function inTransaction<T>(client: pg.PoolClient, fn: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await fn();
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}

/** Runs `fn` in one transaction on a connection of its own. */
export async function transaction<T>(
  pool: pg.Pool,
  fn: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  try {
    return await inTransaction(client, () => fn(client));
  } finally {
    client.release();
  }
}

/** A row as the store's records name it: `id` is `_id`. */
export function fromRow<T>(row: Row): T {
  const { id, ...rest } = row;
  return { _id: id, ...rest } as T;
}

export async function one<T>(db: Queryable, text: string, values: unknown[]): Promise<T | null> {
  const res = await db.query(text, values);
  return res.rows[0] ? fromRow<T>(res.rows[0] as Row) : null;
}

export async function many<T>(db: Queryable, text: string, values: unknown[]): Promise<T[]> {
  const res = await db.query(text, values);
  return res.rows.map((r) => fromRow<T>(r as Row));
}

/** jsonb parameters go as JSON text: node-postgres would send a JS array as a PostgreSQL array. */
export const json = (value: unknown): string => JSON.stringify(value);

/**
 * `INSERT INTO table (cols) VALUES (...), (...)` for records with the given columns, `_id`
 * going to `id`; returns the statement's text and values. `jsonColumns` are sent as JSON.
 */
export function insertValues(
  table: string,
  columns: readonly string[],
  records: readonly Row[],
  jsonColumns: readonly string[] = [],
): { text: string; values: unknown[] } {
  const values: unknown[] = [];
  const tuples = records.map((record) => {
    const params = columns.map((column) => {
      const value = record[column === 'id' ? '_id' : column];
      values.push(jsonColumns.includes(column) && value !== null ? json(value) : value);
      return `$${values.length}`;
    });
    return `(${params.join(', ')})`;
  });
  return {
    text: `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples.join(', ')}`,
    values,
  };
}

/** PostgreSQL takes at most 65,535 parameters per statement. */
const MAX_PARAMETERS = 65_535;

/**
 * Inserts records whose id says what they are, skipping those already stored; returns the ids
 * this call stored. Insert-only records are the easiest to trust after a crash.
 */
export async function insertNew(
  db: Queryable,
  table: string,
  columns: readonly string[],
  docs: readonly { _id: string }[],
  jsonColumns: readonly string[] = [],
): Promise<Set<string>> {
  const stored = new Set<string>();
  const chunk = Math.floor(MAX_PARAMETERS / columns.length);
  for (let i = 0; i < docs.length; i += chunk) {
    const rows = docs.slice(i, i + chunk).map((d) => ({ ...d }));
    const { text, values } = insertValues(table, columns, rows, jsonColumns);
    const res = await db.query<{ id: string }>(
      `${text} ON CONFLICT (id) DO NOTHING RETURNING id`,
      values,
    );
    for (const r of res.rows) stored.add(r.id);
  }
  return stored;
}

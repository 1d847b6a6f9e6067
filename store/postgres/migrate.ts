import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { inTransaction } from './db';

const MIGRATIONS_DIR = join(__dirname, 'migrations');
/** Serialises migrations between processes starting together (the API and the worker). */
const LOCK_KEY = 0x7761666c; // 'wafl'

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** The migrations in `migrations/`, named `<version>_<name>.sql`, in order. */
export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d+_[\w-]+\.sql$/.test(f))
    .map((file) => {
      const [, version, name] = /^(\d+)_([\w-]+)\.sql$/.exec(file)!;
      return { version: Number(version), name: name!, sql: readFileSync(join(dir, file), 'utf8') };
    })
    .sort((a, b) => a.version - b.version);
}

/**
 * Applies the migrations not applied yet, each in its own transaction, under an advisory lock so
 * that concurrent starts apply each once. Returns the versions applied by this call.
 */
export async function migrate(
  pool: pg.Pool,
  schema: string,
  migrations = loadMigrations(),
): Promise<number[]> {
  const client = await pool.connect();
  try {
    // Locked first: CREATE SCHEMA IF NOT EXISTS itself races when two processes start together.
    await client.query('SELECT pg_advisory_lock($1)', [LOCK_KEY]);
    try {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
      const done = new Set(
        (await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map(
          (r) => r.version,
        ),
      );
      const applied: number[] = [];
      for (const m of migrations) {
        if (done.has(m.version)) continue;
        await inTransaction(client, async () => {
          await client.query(m.sql);
          await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
            m.version,
            m.name,
          ]);
        });
        applied.push(m.version);
      }
      return applied;
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY]);
    }
  } finally {
    client.release();
  }
}

import type { AccountSettings } from '../accounts';
import type { StoreHandle } from '../contract';
import { createPool } from './db';
import { createPostgresStore } from './index';
import { migrate } from './migrate';
import { postgresSignals } from './signals';

/** Connects, applies the migrations not applied yet, and returns the store on that database. */
export async function openPostgresStore(
  o: { url: string; schema: string; poolSize: number; applicationName?: string },
  encryptionKey: Buffer,
  accounts?: AccountSettings,
): Promise<StoreHandle> {
  const pool = createPool(o.url, o.schema, o.poolSize, o.applicationName);
  try {
    await migrate(pool, o.schema);
  } catch (err) {
    await pool.end();
    throw err;
  }
  const signals = postgresSignals(pool, o.url, o.schema);
  return {
    kind: 'postgres',
    store: createPostgresStore(pool, encryptionKey, accounts),
    signals,
    async ping() {
      await pool.query('SELECT 1');
    },
    async close() {
      await signals.close();
      await pool.end();
    },
  };
}

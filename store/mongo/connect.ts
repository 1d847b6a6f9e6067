import { inProcessSignals } from '../signals';
import { MongoClient } from 'mongodb';
import type { AccountSettings } from '../accounts';
import type { StoreHandle } from '../contract';
import { createMongoStore } from './index';
import { ensureIndexes } from './indexes';
import { runUpgrades } from './upgrades';

/**
 * Connects, rewrites stored data for this version once (upgrades.ts), creates every index
 * (idempotent) and returns the store on that database.
 */
export async function openMongoStore(
  uri: string,
  dbName: string,
  encryptionKey: Buffer,
  accounts?: AccountSettings,
): Promise<StoreHandle> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 15_000, appName: 'waflow' });
  await client.connect();
  const db = client.db(dbName);
  // Upgrades first: an index may be on fields they fill in (contacts' unique keys).
  await runUpgrades(db);
  await ensureIndexes(db);
  return {
    kind: 'mongo',
    store: createMongoStore(db, encryptionKey, accounts),
    // MongoDB has no notifications that FerretDB serves: other processes find work by polling.
    signals: inProcessSignals(),
    async ping() {
      await db.command({ ping: 1 });
    },
    close: () => client.close(),
  };
}

import type { Config } from '../lib/config';
import { accountSettings } from './accounts';
import type { StoreHandle } from './contract';
import { openMongoStore } from './mongo/connect';
import { openPostgresStore } from './postgres/connect';

export type { Store, StoreHandle } from './contract';

/**
 * Opens the configured store (PostgreSQL unless MongoDB is asked for), ready to use. `role`
 * names the process to the server (PostgreSQL's application_name), so its sessions can be told apart.
 */
export function openStore(config: Config, role = 'waflow'): Promise<StoreHandle> {
  const accounts = accountSettings(config);
  return config.store === 'mongo'
    ? openMongoStore(config.mongo.uri, config.mongo.db, config.encryptionKey, accounts)
    : openPostgresStore(
        { ...config.postgres, applicationName: role },
        config.encryptionKey,
        accounts,
      );
}

import type { Config, Env } from '../../lib/config';
import { openStore } from '../../store';
import type { Store, StoreHandle } from '../../store/contract';
import { testConfig } from './config';

/** The stores the repository suite runs against, each with the same tests. */
export const STORE_KINDS = ['postgres', 'mongo'] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

export interface TestStore {
  config: Config;
  handle: StoreHandle;
  store: Store;
}

/** A store of the given kind in a database (schema) of its own, ready to use. */
export async function openTestStore(kind: StoreKind, overrides: Env = {}): Promise<TestStore> {
  const config = testConfig({ WAFLOW_STORE: kind, ...overrides });
  const handle = await openStore(config);
  return { config, handle, store: handle.store };
}

import type { Config } from '../lib/config';
import type { Store } from '../store';
import { maintenanceActivities } from './maintenance';
import type { MetaClient } from './meta/client';

export interface ActivityDeps {
  config: Config;
  store: Store;
  meta: MetaClient;
}

/** Every activity, built from its dependencies so tests can pass their own. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...maintenanceActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;

import type { Config } from '../lib/config';
import type { Store } from '../store';
import { maintenanceActivities } from './maintenance';
import { messageActivities } from './messages';
import type { MetaClient } from './meta/client';
import { templateActivities } from './templates';

export interface ActivityDeps {
  config: Config;
  store: Store;
  meta: MetaClient;
}

/** Every activity, built from its dependencies so tests can pass their own. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...maintenanceActivities(deps),
    ...templateActivities(deps),
    ...messageActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;

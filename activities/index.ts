import type { Store } from '../store';
import { maintenanceActivities } from './maintenance';

export interface ActivityDeps {
  store: Store;
}

/** Every activity, built from its dependencies so tests can pass their own. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...maintenanceActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;

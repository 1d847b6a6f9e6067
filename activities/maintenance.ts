import type { Store } from '../store';

export function maintenanceActivities({ store }: { store: Store }) {
  return {
    async purgeExpiredSessions(): Promise<number> {
      return store.sessions.purgeExpired();
    },
  };
}

export type MaintenanceActivities = ReturnType<typeof maintenanceActivities>;

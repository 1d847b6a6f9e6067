import { proxyActivities } from '@temporalio/workflow';
import type { MaintenanceActivities } from '../activities/maintenance';
import type { CleanupResult } from './definitions';

const { purgeExpiredSessions } = proxyActivities<MaintenanceActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', maximumAttempts: 5 },
});

/** Removes records whose time is up; run by a schedule (the store cannot use TTL indexes). */
export async function cleanupWorkflow(): Promise<CleanupResult> {
  const sessionsPurged = await purgeExpiredSessions();
  return { sessionsPurged };
}

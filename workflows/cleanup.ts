import { proxyActivities } from '@temporalio/workflow';
import type { MaintenanceActivities } from '../activities/maintenance';
import type { CleanupResult } from './definitions';

const { purgeExpiredSessions, purgeProcessedWebhooks } = proxyActivities<MaintenanceActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', maximumAttempts: 5 },
});

/** Removes records whose time is up (the store cannot use TTL indexes); run by a schedule. */
export async function cleanupWorkflow(): Promise<CleanupResult> {
  const sessionsPurged = await purgeExpiredSessions();
  const webhooksPurged = await purgeProcessedWebhooks();
  return { sessionsPurged, webhooksPurged };
}

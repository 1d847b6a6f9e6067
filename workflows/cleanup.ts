import { proxyActivities } from '@temporalio/workflow';
import type { MaintenanceActivities } from '../activities/maintenance';
import type { CleanupResult } from './contracts/maintenance';

const { purgeExpiredSessions, purgeProcessedWebhooks, purgeOldEvents } =
  proxyActivities<MaintenanceActivities>({
    startToCloseTimeout: '5 minutes',
    retry: { initialInterval: '5 seconds', maximumAttempts: 5 },
  });

/** Removes records whose time is up (the store cannot use TTL indexes); run by a schedule. */
export async function cleanupWorkflow(): Promise<CleanupResult> {
  const sessionsPurged = await purgeExpiredSessions();
  const webhooksPurged = await purgeProcessedWebhooks();
  const old = await purgeOldEvents();
  return {
    sessionsPurged,
    webhooksPurged,
    eventsPurged: old.events,
    deliveriesPurged: old.deliveries,
    automationInputsPurged: old.automationInputs,
    metaEventsPurged: old.metaEvents,
  };
}

import { proxyActivities } from '@temporalio/workflow';
import type { MaintenanceActivities } from '../activities/maintenance';
import type { RecoveryResult } from './definitions';

const { sweepOutbox, processAbandonedWebhooks } = proxyActivities<MaintenanceActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '5 seconds', maximumAttempts: 3 },
});

/**
 * Finishes what a process that died left half done: events still in outboxes, and provider
 * webhooks stored but not processed. Run every minute by a schedule.
 */
export async function recoveryWorkflow(): Promise<RecoveryResult> {
  const eventsRecovered = await sweepOutbox();
  const webhooksRecovered = await processAbandonedWebhooks();
  return { eventsRecovered, webhooksRecovered };
}

import { proxyActivities } from '@temporalio/workflow';
import type { MaintenanceActivities } from '../activities/maintenance';
import type { SequenceActivities } from '../activities/sequences';
import type { WebhookActivities } from '../activities/webhooks';
import type { RecoveryResult } from './definitions';

const { sweepOutbox, processAbandonedWebhooks } = proxyActivities<MaintenanceActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '5 seconds', maximumAttempts: 3 },
});

const { recoverWebhookDeliveries } = proxyActivities<WebhookActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '5 seconds', maximumAttempts: 3 },
});

const { startPendingSubscriptions } = proxyActivities<SequenceActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '5 seconds', maximumAttempts: 3 },
});

/**
 * Finishes what a process that died left half done: events still in outboxes, provider
 * webhooks stored but not processed, and outbound webhook deliveries. Run every minute by a
 * schedule.
 */
export async function recoveryWorkflow(): Promise<RecoveryResult> {
  const eventsRecovered = await sweepOutbox();
  const webhooksRecovered = await processAbandonedWebhooks();
  const deliveries = await recoverWebhookDeliveries();
  const subscriptionsStarted = await startPendingSubscriptions();
  return {
    eventsRecovered,
    webhooksRecovered,
    deliveriesDispatched: deliveries.dispatched,
    deliveriesResumed: deliveries.resumed,
    subscriptionsStarted,
  };
}

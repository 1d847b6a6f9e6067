import { proxyActivities } from '@temporalio/workflow';
import type { MaintenanceActivities } from '../activities/maintenance';
import type { PaymentActivities } from '../activities/payments';
import type { WebhookActivities } from '../activities/webhooks';
import type { WooActivities } from '../activities/woocommerce';
import type { RecoveryResult } from './definitions';

const { sweepOutbox, processAbandonedWebhooks } = proxyActivities<MaintenanceActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '5 seconds', maximumAttempts: 3 },
});

const { recoverWebhookDeliveries } = proxyActivities<WebhookActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '5 seconds', maximumAttempts: 3 },
});

const { handOffAbandonedWooDeliveries } = proxyActivities<WooActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '5 seconds', maximumAttempts: 3 },
});

const { deliverAbandonedPaymentEvents } = proxyActivities<PaymentActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '5 seconds', maximumAttempts: 3 },
});

/**
 * Finishes what a process that died left half done: events still in outboxes, provider
 * webhooks stored but not processed, WooCommerce deliveries not handed to their orders, payment
 * gateway events not given to their links, and outbound webhook deliveries. Run every minute by
 * a schedule.
 */
export async function recoveryWorkflow(): Promise<RecoveryResult> {
  const eventsRecovered = await sweepOutbox();
  const webhooksRecovered = await processAbandonedWebhooks();
  const deliveries = await recoverWebhookDeliveries();
  const wooDeliveriesHandedOff = await handOffAbandonedWooDeliveries();
  const paymentEventsRecovered = await deliverAbandonedPaymentEvents();
  return {
    eventsRecovered,
    webhooksRecovered,
    deliveriesDispatched: deliveries.dispatched,
    deliveriesResumed: deliveries.resumed,
    wooDeliveriesHandedOff,
    paymentEventsRecovered,
  };
}

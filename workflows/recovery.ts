import { proxyActivities } from '@temporalio/workflow';
import type { AutomationActivities } from '../activities/automations';
import type { MaintenanceActivities } from '../activities/maintenance';
import type { PaymentActivities } from '../activities/payments';
import type { SequenceActivities } from '../activities/sequences';
import type { WebhookActivities } from '../activities/webhooks';
import type { WooActivities } from '../activities/woocommerce';
import type { RecoveryResult } from './contracts/maintenance';

const options = {
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '5 seconds', maximumAttempts: 3 },
} as const;
const { sweepOutbox, processAbandonedWebhooks } = proxyActivities<MaintenanceActivities>(options);
const { recoverWebhookDeliveries } = proxyActivities<WebhookActivities>(options);
const { handOffAbandonedWooDeliveries } = proxyActivities<WooActivities>(options);
const { deliverAbandonedPaymentEvents } = proxyActivities<PaymentActivities>(options);
const { startPendingSubscriptions } = proxyActivities<SequenceActivities>(options);
const { sweepAutomations } = proxyActivities<AutomationActivities>(options);

/**
 * Finishes what a process that died left half done: events still in outboxes, provider
 * webhooks stored but not processed, WooCommerce deliveries not handed to their orders, payment
 * gateway events not given to their links, sequence subscriptions recorded but not started,
 * automation inputs not routed (and waits whose timer was lost), and outbound webhook deliveries. Run every minute by a schedule.
 */
export async function recoveryWorkflow(): Promise<RecoveryResult> {
  const eventsRecovered = await sweepOutbox();
  const webhooksRecovered = await processAbandonedWebhooks();
  const deliveries = await recoverWebhookDeliveries();
  const wooDeliveriesHandedOff = await handOffAbandonedWooDeliveries();
  const paymentEventsRecovered = await deliverAbandonedPaymentEvents();
  const subscriptionsStarted = await startPendingSubscriptions();
  const automations = await sweepAutomations();
  return {
    eventsRecovered,
    webhooksRecovered,
    deliveriesDispatched: deliveries.dispatched,
    deliveriesResumed: deliveries.resumed,
    wooDeliveriesHandedOff,
    paymentEventsRecovered,
    subscriptionsStarted,
    automationInputsRouted: automations.routed + automations.resumed,
    automationWaitsTimedOut: automations.timedOut,
  };
}

/** The cleanup and recovery workflows, each run on a schedule under a fixed id. */

export const CLEANUP_WORKFLOW = 'cleanupWorkflow';
export const RECOVERY_WORKFLOW = 'recoveryWorkflow';

export const cleanupWorkflowId = () => 'cleanup';
export const recoveryWorkflowId = () => 'recovery';

export const scheduleIds = {
  cleanup: 'cleanup',
  recovery: 'recovery',
  templateSync: 'templates-sync',
};

export interface CleanupResult {
  sessionsPurged: number;
  webhooksPurged: number;
  /** Events and outbound webhook deliveries older than EVENT_RETENTION_DAYS. */
  eventsPurged: number;
  deliveriesPurged: number;
  /** Automation inputs (routing decisions) older than EVENT_RETENTION_DAYS. */
  automationInputsPurged: number;
  /** Meta's account-level changes older than META_EVENT_RETENTION_DAYS. */
  metaEventsPurged: number;
}

export interface RecoveryResult {
  /** Events copied from outboxes that a crash left unflushed. */
  eventsRecovered: number;
  /** Stored provider webhooks processed after their API process left them. */
  webhooksRecovered: number;
  /** Webhook deliveries (event × endpoint) first made by the sweep, not when recorded. */
  deliveriesDispatched: number;
  /** Webhook deliveries whose first attempt or retry workflow a crash had cut off. */
  deliveriesResumed: number;
  /** WooCommerce deliveries stored but not given to their order's workflow by their API process. */
  wooDeliveriesHandedOff: number;
  /** Gateway webhooks stored but not handed to their payment links' workflows. */
  paymentEventsRecovered: number;
  /** Sequence subscriptions recorded but left unstarted by their API process. */
  subscriptionsStarted: number;
  /** Automation inputs whose process died before routing them, or before carrying them out. */
  automationInputsRouted: number;
  /** Waiting automation runs whose timer was never armed, timed out by the sweep. */
  automationWaitsTimedOut: number;
}

export type CleanupWorkflow = () => Promise<CleanupResult>;
export type RecoveryWorkflow = () => Promise<RecoveryResult>;

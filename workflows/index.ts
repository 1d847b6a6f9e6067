export { cleanupWorkflow } from './cleanup';
export { recoveryWorkflow } from './recovery';
export { templateSyncWorkflow } from './template-sync';
export { campaignWorkflow } from './campaign';
export { messageRetryWorkflow } from './message-retry';
export { webhookDeliveryWorkflow } from './webhook-delivery';
export { webhookCircuitWorkflow } from './webhook-circuit';
export { paymentLinkWorkflow } from './payment-link';

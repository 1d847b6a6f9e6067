export { cleanupWorkflow } from './cleanup';
export { recoveryWorkflow } from './recovery';
export { templateSyncWorkflow } from './template-sync';
export { messageRetryWorkflow } from './message-retry';
export { webhookDeliveryWorkflow } from './webhook-delivery';
export { webhookCircuitWorkflow } from './webhook-circuit';

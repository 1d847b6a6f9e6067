export { cleanupWorkflow } from './cleanup';
export { recoveryWorkflow } from './recovery';
export { templateSyncWorkflow } from './template-sync';
export { campaignWorkflow } from './campaign';
export { sequenceWorkflow } from './sequence';
export { messageRetryWorkflow } from './message-retry';
export { webhookDeliveryWorkflow } from './webhook-delivery';
export { webhookCircuitWorkflow } from './webhook-circuit';

export { cleanupWorkflow } from './cleanup';
export { recoveryWorkflow } from './recovery';
export { templateSyncWorkflow } from './template-sync';
export { sendMessageWorkflow } from './send-message';
export { webhookDeliveryWorkflow } from './webhook-delivery';
export { webhookCircuitWorkflow } from './webhook-circuit';

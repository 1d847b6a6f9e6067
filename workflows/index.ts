export { cleanupWorkflow } from './cleanup';

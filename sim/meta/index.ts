export { createMetaSimulator, type MetaSimulator } from './server';
export { sandboxDisplayNumber, sandboxWabaId } from './ids';
export { signBody } from './webhooks';
export type { InboundInput, InboundType } from './inbound';
export type * from './types';

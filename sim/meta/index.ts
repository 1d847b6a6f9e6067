export { createMetaSimulator } from './server';
export type { MetaSimulator } from './simulator';
export { sandboxDisplayNumber, sandboxWabaId } from './ids';
export { signBody } from './webhooks';
export type { InboundInput, InboundType } from './inbound';
export type * from './types';

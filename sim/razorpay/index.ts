export { createRazorpaySimulator, type RazorpaySimulator } from './server';
export { signRazorpayBody } from './webhooks';
export type * from './types';

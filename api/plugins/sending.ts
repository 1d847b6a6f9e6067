import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { OutcomeWaiter } from '../../sending/outcome-waiter';

declare module 'fastify' {
  interface FastifyInstance {
    sendOutcomes: OutcomeWaiter;
  }
}

/** Sends are answered with Meta's outcome when the dispatchers settle them in time. */
export const sendingPlugin = fp(
  async (app: FastifyInstance) => {
    const waiter = new OutcomeWaiter(app.store, app.database.signals);
    await waiter.start();
    app.decorate('sendOutcomes', waiter);
    app.addHook('onClose', () => waiter.close());
  },
  { name: 'sending', dependencies: ['store'] },
);

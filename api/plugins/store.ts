import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { openStore } from '../../store';

export const storePlugin = fp(
  async (app: FastifyInstance) => {
    const database = await openStore(app.config, 'waflow-api');
    app.decorate('database', database);
    app.decorate('store', database.store);
    app.addHook('onClose', () => database.close());
  },
  { name: 'store' },
);

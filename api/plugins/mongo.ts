import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { createStore } from '../../store';
import { accountSettings } from '../../store/accounts';
import { connectMongo } from '../../store/mongo';

export const mongoPlugin = fp(
  async (app: FastifyInstance) => {
    const mongo = await connectMongo(app.config.mongo.uri, app.config.mongo.db);
    app.decorate('mongo', mongo);
    app.decorate(
      'store',
      createStore(mongo.db, app.config.encryptionKey, accountSettings(app.config)),
    );
    app.addHook('onClose', () => mongo.close());
  },
  { name: 'mongo' },
);

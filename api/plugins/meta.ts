import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { createMetaClient } from '../../meta/client';

/** The API's Meta client, for the calls it makes itself (checking a number before storing it). */
export const metaPlugin = fp(
  (app: FastifyInstance) => {
    const meta = createMetaClient({ apiVersion: app.config.meta.apiVersion, timeoutMs: 10_000 });
    app.decorate('meta', meta);
    app.addHook('onClose', () => meta.close());
  },
  { name: 'meta' },
);

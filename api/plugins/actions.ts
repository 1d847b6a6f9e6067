import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { sandboxFromConfig } from '../../vm/from-config';
import type { Sandbox } from '../../vm/types';

declare module 'fastify' {
  interface FastifyInstance {
    sandbox: Sandbox;
  }
}

/** The custom actions' sandbox; its sandbox process starts on the first run. */
export const actionsPlugin = fp(
  async (app: FastifyInstance) => {
    const sandbox = sandboxFromConfig(app.config);
    app.decorate('sandbox', sandbox);
    app.addHook('onClose', () => sandbox.close());
  },
  { name: 'actions' },
);

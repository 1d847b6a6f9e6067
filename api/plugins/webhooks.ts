import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { createWebhookEngine, type WebhookEngine } from '../../webhooks/engine';

declare module 'fastify' {
  interface FastifyInstance {
    webhooks: WebhookEngine;
  }
}

/** Outbound webhooks for the events this process records (contacts, inbound messages...). */
export const webhooksPlugin = fp(
  (app: FastifyInstance) => {
    const engine = createWebhookEngine({
      config: app.config,
      store: app.store,
      client: app.temporal,
      log: app.log,
    });
    app.decorate('webhooks', engine);
    // After the inbox (registered later, so closed earlier) has recorded its last events.
    app.addHook('onClose', () => engine.close());
  },
  { name: 'webhooks', dependencies: ['store', 'temporal'] },
);

import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { AutomationEngine } from '../../automations/engine';
import { startAutomations } from '../../automations/runtime';

declare module 'fastify' {
  interface FastifyInstance {
    automations: AutomationEngine;
  }
}

/**
 * Automations on what this process records: its inbound messages, contact changes, payment
 * outcomes. Registered before the inbox, so it closes after the inbox's last events.
 */
export const automationsPlugin = fp(
  (app: FastifyInstance) => {
    const runtime = startAutomations({
      store: app.store,
      signals: app.database.signals,
      sandbox: app.sandbox,
      temporal: app.temporal,
      meta: app.meta,
      config: app.config,
      log: app.log,
      kickSequences: () => app.sequenceStarter.kick(),
    });
    app.decorate('automations', runtime.engine);
    app.addHook('onClose', () => runtime.close());
  },
  { name: 'automations', dependencies: ['store', 'temporal', 'meta', 'actions', 'sequences'] },
);

import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { PaymentEventInbox } from '../../payments/event-inbox';
import { gatewaySecretCache, type GatewaySecretCache } from '../../payments/gateway-secrets';
import { paymentOutcomes } from '../../payments/outcomes';

declare module 'fastify' {
  interface FastifyInstance {
    paymentEvents: PaymentEventInbox;
    /** Every organization's webhook secret for each gateway, cached. */
    gatewaySecrets: GatewaySecretCache;
  }
}

/** Gateway webhooks: their secrets, and the inbox that stores and hands them to workflows. */
export const paymentsPlugin = fp(
  (app: FastifyInstance) => {
    const { store } = app;
    const inbox = new PaymentEventInbox({
      store,
      temporal: app.temporal,
      outcomes: paymentOutcomes({ store, signals: app.database.signals }),
      log: app.log,
    });
    app.decorate('paymentEvents', inbox);
    app.decorate('gatewaySecrets', gatewaySecretCache(store));
    app.addHook('onClose', () => inbox.idle());
  },
  { name: 'payments', dependencies: ['store', 'temporal'] },
);

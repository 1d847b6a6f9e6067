import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { TtlCache } from '../../lib/ttl-cache';
import { PaymentEventInbox } from '../../payments/event-inbox';
import { paymentOutcomes } from '../../payments/outcomes';
import type { PaymentGateway } from '../../store/documents';

/** One organization's webhook signing secret for a gateway. */
export interface GatewaySecret {
  orgId: string;
  secret: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    paymentEvents: PaymentEventInbox;
    /** Every organization's webhook secret for the gateway: the one that verifies names the org. */
    gatewaySecrets(gateway: PaymentGateway): Promise<GatewaySecret[]>;
    /** Forgets the cached secrets after a change here (other processes see it within the TTL). */
    forgetGatewaySecrets(gateway: PaymentGateway): void;
  }
}

/**
 * How long the webhook secrets are reused without a database read and decryptions: the webhook
 * endpoints take thousands of requests a second.
 */
const SECRET_CACHE_MS = 5_000;

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
    const secrets = new TtlCache<PaymentGateway, GatewaySecret[]>(SECRET_CACHE_MS);
    app.decorate('paymentEvents', inbox);
    app.decorate('gatewaySecrets', (gateway: PaymentGateway) =>
      secrets.getOrLoad(gateway, async () =>
        (await store.gatewaySettings.listForGateway(gateway)).flatMap((doc) => {
          const secret = store.gatewaySettings.keysOf(doc).webhook_secret;
          return secret ? [{ orgId: doc.org_id, secret }] : [];
        }),
      ),
    );
    app.decorate('forgetGatewaySecrets', (gateway: PaymentGateway) => secrets.delete(gateway));
    app.addHook('onClose', () => inbox.idle());
  },
  { name: 'payments', dependencies: ['store', 'temporal'] },
);

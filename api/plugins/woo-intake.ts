import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { keyedLock } from '../../lib/keyed-lock';
import { TtlCache } from '../../lib/ttl-cache';
import type { WooStoreDoc } from '../../store/contract/woocommerce';
import { handOffStored } from '../../woocommerce/handoff';
import { WooIntake } from '../../woocommerce/intake';

/**
 * How long a store and its secret are reused without a database read and a decryption: a sale
 * day sends thousands of webhooks a second. The store routes drop a store they change.
 */
const STORE_CACHE_MS = 5_000;

export interface WooWebhooks {
  intake: WooIntake;
  stores: TtlCache<string, { store: WooStoreDoc; secret: string } | null>;
}

declare module 'fastify' {
  interface FastifyInstance {
    woo: WooWebhooks;
  }
}

/** Verified WooCommerce deliveries are stored, answered, then handed to their orders' workflows. */
export const wooIntakePlugin = fp(
  (app: FastifyInstance) => {
    const { taskQueue } = app.config.temporal;
    const inOrder = keyedLock();
    const intake = new WooIntake(app.store, (docs) =>
      handOffStored(app.store, app.temporal, taskQueue, docs, app.log, inOrder),
    );
    const stores: WooWebhooks['stores'] = new TtlCache(STORE_CACHE_MS);
    app.decorate('woo', { intake, stores });
    app.addHook('onClose', () => intake.idle());
  },
  { name: 'woo-intake', dependencies: ['store', 'temporal'] },
);

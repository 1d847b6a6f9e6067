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
  /** Site keys → the ids of the stores with that site (the store-less URL). */
  sites: TtlCache<string, string[]>;
  /** Drops what is cached about a store that was created, changed or deleted. */
  forget: (storeId: string) => void;
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
    const sites: WooWebhooks['sites'] = new TtlCache(STORE_CACHE_MS);
    const forget = (storeId: string) => {
      stores.delete(storeId);
      // Its site, old or new, is not known here: stores change rarely, so all go.
      sites.deleteWhere(() => true);
    };
    app.decorate('woo', { intake, stores, sites, forget });
    app.addHook('onClose', () => intake.idle());
  },
  { name: 'woo-intake', dependencies: ['store', 'temporal'] },
);

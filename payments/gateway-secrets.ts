import { TtlCache } from '../lib/ttl-cache';
import type { Store } from '../store';
import type { PaymentGateway } from '../store/documents';
import type { GatewaySecret } from './gateways';

/**
 * How long the webhook secrets are reused without a database read and decryptions: the webhook
 * endpoints take thousands of requests a second.
 */
const SECRET_CACHE_MS = 5_000;

/** Every organization's webhook secret for each gateway, cached for this process. */
export function gatewaySecretCache(store: Store) {
  const secrets = new TtlCache<PaymentGateway, GatewaySecret[]>(SECRET_CACHE_MS);
  return {
    /** Every organization's webhook secret for the gateway: the one that verifies names the org. */
    get: (gateway: PaymentGateway): Promise<GatewaySecret[]> =>
      secrets.getOrLoad(gateway, async () =>
        (await store.gatewaySettings.listForGateway(gateway)).flatMap((doc) => {
          const secret = store.gatewaySettings.keysOf(doc).webhook_secret;
          return secret ? [{ orgId: doc.org_id, secret }] : [];
        }),
      ),
    /** Forgets the cached secrets after a change here (other processes see it within the TTL). */
    forget: (gateway: PaymentGateway): void => {
      secrets.delete(gateway);
    },
  };
}

export type GatewaySecretCache = ReturnType<typeof gatewaySecretCache>;

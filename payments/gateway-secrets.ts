import { TtlCache } from '../lib/ttl-cache';
import type { Store } from '../store';
import type { PaymentGateway } from '../store/documents';
import type { GatewaySecret } from './gateways';

/**
 * How long the webhook secrets are reused without a database read and decryptions: the webhook
 * endpoints take thousands of requests a second.
 */
const SECRET_CACHE_MS = 5_000;

/** The organizations' webhook secrets for each gateway, cached for this process. */
export function gatewaySecretCache(store: Store) {
  const all = new TtlCache<PaymentGateway, GatewaySecret[]>(SECRET_CACHE_MS);
  // An organization without the gateway is remembered too (null): its URL may be hammered.
  const one = new TtlCache<string, GatewaySecret | null>(SECRET_CACHE_MS);
  const secretOf = (doc: Awaited<ReturnType<Store['gatewaySettings']['get']>>) => {
    const secret = doc && store.gatewaySettings.keysOf(doc).webhook_secret;
    return doc && secret ? { orgId: doc.org_id, secret } : null;
  };
  return {
    /** Every organization's webhook secret for the gateway: the one that verifies names the org. */
    get: (gateway: PaymentGateway): Promise<GatewaySecret[]> =>
      all.getOrLoad(gateway, async () =>
        (await store.gatewaySettings.listForGateway(gateway)).flatMap((doc) => {
          const secret = secretOf(doc);
          return secret ? [secret] : [];
        }),
      ),
    /** One organization's webhook secret for the gateway; null when it has none. */
    forOrg: (gateway: PaymentGateway, orgId: string): Promise<GatewaySecret | null> =>
      one.getOrLoad(`${gateway}:${orgId}`, async () =>
        secretOf(await store.gatewaySettings.get(orgId, gateway)),
      ),
    /** Forgets the cached secrets after a change here (other processes see it within the TTL). */
    forget: (gateway: PaymentGateway, orgId: string): void => {
      all.delete(gateway);
      one.delete(`${gateway}:${orgId}`);
    },
  };
}

export type GatewaySecretCache = ReturnType<typeof gatewaySecretCache>;

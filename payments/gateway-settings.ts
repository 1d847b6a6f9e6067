import type { Config } from '../lib/config';
import { NotFoundError, ValidationError } from '../lib/errors';
import type { Log } from '../lib/log';
import type { Store } from '../store';
import type { GatewaySettingsDoc, PaymentGateway } from '../store/documents';
import type { GatewaySecretCache } from './gateway-secrets';
import { GATEWAY_NAMES } from './gateways';

export interface StripeKeys {
  secret_key: string;
  publishable_key: string;
  webhook_secret: string;
}

export interface RazorpayKeys {
  key_id: string;
  key_secret: string;
  webhook_secret: string;
}

interface SettingsDeps {
  store: Store;
  secrets: Pick<GatewaySecretCache, 'forget'>;
}

/**
 * The gateways' key formats, whose prefixes tell only the kind of key and its mode. Anything
 * else (a Razorpay secret, a key of an unknown format) may be secret from its first character.
 */
const KNOWN_KEY_PREFIXES = [
  'sk_test_',
  'sk_live_',
  'rk_test_',
  'rk_live_',
  'pk_test_',
  'pk_live_',
  'whsec_',
  'rzp_test_',
  'rzp_live_',
];
/** Shorter secrets show no tail: four characters of eight would be half of it. */
const MIN_LENGTH_FOR_TAIL = 12;

/** `sk_test_…4242`: a known format's prefix, and the last four characters of a long secret. */
export function maskKey(value: string): string {
  const prefix = KNOWN_KEY_PREFIXES.find((p) => value.startsWith(p)) ?? '';
  const rest = value.slice(prefix.length);
  return `${prefix}…${rest.length >= MIN_LENGTH_FOR_TAIL ? rest.slice(-4) : ''}`;
}

const modeOf = (key: string): 'test' | 'live' => (key.includes('_live_') ? 'live' : 'test');

/** Replaces the organization's Stripe keys, whose secret and publishable keys share a mode. */
export async function putStripeKeys(
  { store, secrets }: SettingsDeps,
  orgId: string,
  keys: StripeKeys,
): Promise<GatewaySettingsDoc> {
  const mode = modeOf(keys.secret_key);
  if (modeOf(keys.publishable_key) !== mode) {
    throw new ValidationError(
      'publishable_key: must be of the same mode (test/live) as secret_key',
    );
  }
  const doc = await store.gatewaySettings.put(orgId, 'stripe', { ...keys }, mode);
  secrets.forget('stripe', orgId);
  return doc;
}

/** Replaces the organization's Razorpay keys; in sandbox mode the simulator learns them too. */
export async function putRazorpayKeys(
  deps: SettingsDeps & { config: Pick<Config, 'sandbox' | 'payments'>; log: Log },
  orgId: string,
  keys: RazorpayKeys,
): Promise<GatewaySettingsDoc> {
  const doc = await deps.store.gatewaySettings.put(
    orgId,
    'razorpay',
    { ...keys },
    modeOf(keys.key_id),
  );
  deps.secrets.forget('razorpay', orgId);
  await registerAtSimulator(deps, orgId, keys);
  return doc;
}

/** The organization's keys for the gateway, or 404. */
export async function gatewaySettingsOf(
  store: Store,
  orgId: string,
  gateway: PaymentGateway,
): Promise<GatewaySettingsDoc> {
  const doc = await store.gatewaySettings.get(orgId, gateway);
  if (!doc) throw new NotFoundError(`${GATEWAY_NAMES[gateway]} is not configured`);
  return doc;
}

/**
 * In sandbox mode the Razorpay simulator learns the keys too, so it accepts them and signs its
 * webhooks with the secret given here, posting them to the organization's own URL (as
 * Razorpay's dashboard would be set up).
 */
async function registerAtSimulator(
  { config, log }: { config: Pick<Config, 'sandbox' | 'payments'>; log: Log },
  orgId: string,
  keys: RazorpayKeys,
) {
  if (!config.sandbox) return;
  try {
    const res = await fetch(`${config.payments.razorpaySimulator.url}/__sim/accounts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        ...keys,
        webhook_url: `${config.payments.razorpayWebhookUrl}/${orgId}`,
      }),
      signal: AbortSignal.timeout(5_000),
    });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
  } catch (err) {
    log.warn({ err }, 'the Razorpay simulator did not take the keys');
  }
}

import type { Config } from '../../lib/config';
import type { Store } from '../../store';
import type { PaymentGateway } from '../../store/documents';
import { razorpayGateway } from './razorpay';
import { stripeGateway } from './stripe';
import { GatewayRejectedError, type GatewayClient } from './types';

export * from './types';

/** The organization's client for `gateway`; a GatewayRejectedError when it has no keys. */
export async function gatewayFor(
  store: Store,
  config: Pick<Config, 'payments'>,
  orgId: string,
  gateway: PaymentGateway,
): Promise<GatewayClient> {
  const settings = await store.gatewaySettings.get(orgId, gateway);
  if (!settings) throw new GatewayRejectedError(gateway, 'no keys configured');
  const keys = store.gatewaySettings.keysOf(settings);
  return gateway === 'stripe'
    ? stripeGateway(keys.secret_key!, config.payments.stripeUrl)
    : razorpayGateway(keys.key_id!, keys.key_secret!, config.payments.razorpayUrl);
}

import type { Config } from '../../lib/config';
import type { Store } from '../../store';
import type { PaymentGateway } from '../../store/documents';
import { razorpayGateway } from './razorpay';
import { verifyRazorpayWebhook } from './razorpay-webhook';
import { stripeGateway } from './stripe';
import { verifyStripeWebhook } from './stripe-webhook';
import type { VerifyGatewayWebhook } from './verify';
import { GatewayRejectedError, type GatewayClient } from './types';

export * from './types';
export type { GatewaySecret, VerifyGatewayWebhook, WebhookHeaders } from './verify';

/** Each gateway's webhook signature check. */
export const verifyWebhook: Record<PaymentGateway, VerifyGatewayWebhook> = {
  stripe: verifyStripeWebhook,
  razorpay: verifyRazorpayWebhook,
};

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

import Stripe from 'stripe';
import { GatewayRejectedError, LINK_ID_KEY, type GatewayClient } from './types';

const TIMEOUT_MS = 10_000;

/** A Stripe client for `baseUrl` (api.stripe.com, or stripe-mock in sandbox mode). */
export function stripeSdk(secretKey: string, baseUrl: string): Stripe {
  const url = new URL(baseUrl);
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  return new Stripe(secretKey, {
    host: url.hostname,
    port: url.port ? Number(url.port) : protocol === 'http' ? 80 : 443,
    protocol,
    // Temporal retries the activity; the SDK's own retries would hide the failure from it.
    maxNetworkRetries: 0,
    timeout: TIMEOUT_MS,
  });
}

function rejectedOrThrow(err: unknown): never {
  // 4xx: the request itself is wrong (keys, amount); 429, 5xx and network errors are retried.
  const status = (err as { statusCode?: number }).statusCode;
  if (err instanceof Stripe.errors.StripeError && status && status < 500 && status !== 429) {
    throw new GatewayRejectedError('stripe', err.message);
  }
  throw err;
}

/** Stripe Payment Links: one per Waflow link, deactivated when it expires or is cancelled. */
export function stripeGateway(secretKey: string, baseUrl: string): GatewayClient {
  const stripe = stripeSdk(secretKey, baseUrl);
  return {
    gateway: 'stripe',
    async createLink(req) {
      const metadata: Record<string, string> = { [LINK_ID_KEY]: req.linkId };
      if (req.referenceId) metadata.reference_id = req.referenceId;
      try {
        const link = await stripe.paymentLinks.create(
          {
            line_items: [
              {
                price_data: {
                  currency: req.currency.toLowerCase(),
                  unit_amount: req.amount,
                  product_data: { name: req.description },
                },
                quantity: 1,
              },
            ],
            metadata,
            // Failed attempts arrive as payment_intent.payment_failed: the intent carries the id.
            payment_intent_data: { metadata },
          },
          { idempotencyKey: `waflow-payment-link-${req.linkId}` },
        );
        return { id: link.id, url: link.url };
      } catch (err) {
        rejectedOrThrow(err);
      }
    },
    async deactivateLink(gatewayLinkId) {
      try {
        await stripe.paymentLinks.update(gatewayLinkId, { active: false });
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode === 404) return;
        rejectedOrThrow(err);
      }
    },
  };
}

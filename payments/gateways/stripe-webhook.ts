import Stripe from 'stripe';
import { UnauthorizedError, ValidationError } from '../../lib/errors';
import { parseStripeEvent } from '../webhook-events';
import type { VerifyGatewayWebhook } from './verify';

/** Stripe's own default: a signature older than this is a replay. */
const STRIPE_TOLERANCE_SECONDS = 300;

// Only its webhook helpers are used: they need no key.
const stripe = new Stripe('sk_webhooks_only');

/** Stripe's `Stripe-Signature`, checked by its SDK (timestamped, so replays are refused). */
export const verifyStripeWebhook: VerifyGatewayWebhook = async (raw, headers, secrets) => {
  const header = headers['stripe-signature'];
  if (typeof header !== 'string') throw new UnauthorizedError('Missing Stripe-Signature');
  for (const { orgId, secret } of await secrets()) {
    let event: Stripe.Event;
    try {
      event = stripe.webhooks.constructEvent(raw, header, secret, STRIPE_TOLERANCE_SECONDS);
    } catch (err) {
      if (err instanceof Stripe.errors.StripeSignatureVerificationError) continue;
      throw new ValidationError('Body is not a valid Stripe event');
    }
    return { orgId, event: parseStripeEvent(event) };
  }
  throw new UnauthorizedError('Invalid webhook signature');
};

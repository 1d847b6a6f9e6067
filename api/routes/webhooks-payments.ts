import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import Stripe from 'stripe';
import { z } from 'zod';
import { safeEqual } from '../../lib/crypto';
import { UnauthorizedError, ValidationError } from '../../lib/errors';
import {
  parseRazorpayEvent,
  parseStripeEvent,
  razorpaySignature,
  type ParsedPaymentEvent,
} from '../../payments/webhook-events';
import { envelope, ErrorSchema, ok } from '../schemas/common';

const open = { public: true, rateLimit: false };
/** Stripe's own default: a signature older than this is a replay. */
const STRIPE_TOLERANCE_SECONDS = 300;

const Received = envelope(z.object({ received: z.literal(true), ignored: z.boolean() }));

/**
 * Stripe's and Razorpay's webhooks. The secret that verifies the signature tells the
 * organization; the event is stored once per gateway event id before it is answered, and
 * handed to its link's workflow after (payments/event-inbox.ts).
 */
export const paymentWebhookRoutes: FastifyPluginAsyncZod = async (app) => {
  // Only its webhook helpers are used: they need no key.
  const stripe = new Stripe('sk_webhooks_only');

  // The signatures cover the exact bytes sent, so these routes keep the raw body.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) =>
    done(null, body),
  );

  const schema = (summary: string) => ({
    tags: ['webhooks'],
    summary,
    security: [],
    response: { 200: Received, 400: ErrorSchema, 401: ErrorSchema },
  });

  async function accept(orgId: string, parsed: ParsedPaymentEvent | null) {
    if (parsed) await app.paymentEvents.accept({ ...parsed, org_id: orgId });
    return ok({ received: true as const, ignored: parsed === null });
  }

  app.post(
    '/api/webhooks/stripe',
    {
      config: open,
      schema: schema(
        'Stripe events (Stripe-Signature verified): checkout completed, payment failed',
      ),
    },
    async (request) => {
      const raw = request.body as Buffer;
      const header = request.headers['stripe-signature'];
      if (typeof header !== 'string') throw new UnauthorizedError('Missing Stripe-Signature');
      for (const { orgId, secret } of await app.gatewaySecrets('stripe')) {
        let event: Stripe.Event;
        try {
          event = stripe.webhooks.constructEvent(raw, header, secret, STRIPE_TOLERANCE_SECONDS);
        } catch (err) {
          if (err instanceof Stripe.errors.StripeSignatureVerificationError) continue;
          throw new ValidationError('Body is not a valid Stripe event');
        }
        return accept(orgId, parseStripeEvent(event));
      }
      throw new UnauthorizedError('Invalid webhook signature');
    },
  );

  app.post(
    '/api/webhooks/razorpay',
    {
      config: open,
      schema: schema(
        'Razorpay events (X-Razorpay-Signature verified): payment link paid, expired, cancelled; payment failed',
      ),
    },
    async (request) => {
      const raw = request.body as Buffer;
      const header = request.headers['x-razorpay-signature'];
      if (typeof header !== 'string') throw new UnauthorizedError('Missing X-Razorpay-Signature');
      for (const { orgId, secret } of await app.gatewaySecrets('razorpay')) {
        if (!safeEqual(razorpaySignature(raw, secret), header)) continue;
        let body: unknown;
        try {
          body = JSON.parse(raw.toString('utf8'));
        } catch {
          throw new ValidationError('Body is not valid JSON');
        }
        if (!body || typeof body !== 'object') throw new ValidationError('Body is not an event');
        const eventId = request.headers['x-razorpay-event-id'];
        return accept(
          orgId,
          parseRazorpayEvent(
            body as Record<string, unknown>,
            raw,
            typeof eventId === 'string' && eventId ? eventId : null,
          ),
        );
      }
      throw new UnauthorizedError('Invalid webhook signature');
    },
  );
};

import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { receiveGatewayWebhook } from '../../payments/receive-webhook';
import type { PaymentGateway } from '../../store/documents';
import { envelope, ErrorSchema, ok } from '../schemas/common';

const open = { public: true, rateLimit: false };

const Received = envelope(z.object({ received: z.literal(true), ignored: z.boolean() }));

/**
 * Stripe's and Razorpay's webhooks. The secret that verifies the signature tells the
 * organization; the event is stored once per gateway event id before it is answered, and
 * handed to its link's workflow after (payments/receive-webhook.ts).
 */
export const paymentWebhookRoutes: FastifyPluginAsyncZod = async (app) => {
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

  const receive =
    (gateway: PaymentGateway) =>
    async (request: { body: unknown; headers: Record<string, string | string[] | undefined> }) => {
      const { ignored } = await receiveGatewayWebhook(
        { secrets: app.gatewaySecrets, inbox: app.paymentEvents },
        gateway,
        request.body as Buffer,
        request.headers,
      );
      return ok({ received: true as const, ignored });
    };

  app.post(
    '/api/webhooks/stripe',
    {
      config: open,
      schema: schema(
        'Stripe events (Stripe-Signature verified): checkout completed, payment failed',
      ),
    },
    receive('stripe'),
  );

  app.post(
    '/api/webhooks/razorpay',
    {
      config: open,
      schema: schema(
        'Razorpay events (X-Razorpay-Signature verified): payment link paid, expired, cancelled; payment failed',
      ),
    },
    receive('razorpay'),
  );
};

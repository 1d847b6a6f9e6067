import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { RateLimitedError } from '../../lib/errors';
import { GATEWAY_NAMES } from '../../payments/gateways';
import { receiveGatewayWebhook } from '../../payments/receive-webhook';
import type { PaymentGateway } from '../../store/documents';
import { envelope, ErrorSchema, ok } from '../schemas/common';

const open = { public: true, rateLimit: false };

const Received = envelope(z.object({ received: z.literal(true), ignored: z.boolean() }));
const OrgParams = z.object({ orgId: z.string().min(1).max(100) });

const GATEWAYS: { gateway: PaymentGateway; signature: string; events: string }[] = [
  {
    gateway: 'stripe',
    signature: 'Stripe-Signature',
    events: 'checkout completed, payment failed',
  },
  {
    gateway: 'razorpay',
    signature: 'X-Razorpay-Signature',
    events: 'payment link paid, expired, cancelled; payment failed',
  },
];

/**
 * Stripe's and Razorpay's webhooks. Each organization has its own URL, checked with its secret
 * only; the shared URL of earlier versions tries every organization's secret, so it is limited
 * per client address. The event is stored once before it is answered, and handed to its link's
 * workflow after (payments/receive-webhook.ts).
 */
export const paymentWebhookRoutes: FastifyPluginAsyncZod = async (app) => {
  // The signatures cover the exact bytes sent, so these routes keep the raw body.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) =>
    done(null, body),
  );

  const deps = { secrets: app.gatewaySecrets, inbox: app.paymentEvents };
  const bodyLimit = app.config.http.webhookBodyLimit;
  const perMinute = app.config.payments.sharedWebhookPerMinute;
  const limitShared = async (request: { ip: string }) => {
    const decision = await app.rateLimiter.hit(`payment-webhook-ip:${request.ip}`, {
      perMinute,
      perSecond: perMinute,
    });
    if (!decision.allowed) throw new RateLimitedError(decision.retryAfter);
  };
  /** `orgId` null: the shared URL, where every organization's secret is tried. */
  const receive = async (
    gateway: PaymentGateway,
    orgId: string | null,
    request: { body: unknown; headers: IncomingHttpHeaders },
  ) =>
    ok({
      received: true as const,
      ...(await receiveGatewayWebhook(
        deps,
        gateway,
        orgId,
        request.body as Buffer,
        request.headers,
      )),
    });
  const response = { 200: Received, 400: ErrorSchema, 401: ErrorSchema, 413: ErrorSchema };

  for (const { gateway, signature, events } of GATEWAYS) {
    app.post(
      `/api/webhooks/${gateway}/:orgId`,
      {
        config: open,
        bodyLimit,
        schema: {
          tags: ['webhooks'],
          summary: `The organization's ${GATEWAY_NAMES[gateway]} events (${signature} verified with its secret): ${events}`,
          security: [],
          params: OrgParams,
          response: { ...response, 404: ErrorSchema },
        },
      },
      async (request) => receive(gateway, request.params.orgId, request),
    );

    app.post(
      `/api/webhooks/${gateway}`,
      {
        config: open,
        bodyLimit,
        onRequest: limitShared,
        schema: {
          tags: ['webhooks'],
          summary: `${GATEWAY_NAMES[gateway]} events at the shared URL (every organization's secret tried; limited per client address): use /api/webhooks/${gateway}/{orgId}`,
          security: [],
          response: { ...response, 429: ErrorSchema },
        },
      },
      async (request) => receive(gateway, null, request),
    );
  }
};

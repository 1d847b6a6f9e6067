import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { receiveWooSiteWebhook, receiveWooWebhook } from '../../woocommerce/receive';
import { envelope, ErrorSchema, ok } from '../schemas/common';

const open = { public: true, rateLimit: false };
const header = (value: string | string[] | undefined) =>
  typeof value === 'string' ? value.trim() : undefined;

/** WooCommerce's webhooks: its ping, and signed order deliveries stored before they are answered. */
export const wooWebhookRoutes: FastifyPluginAsyncZod = async (app) => {
  // The signature covers the exact bytes WooCommerce sent, so this route keeps the raw body.
  app.removeContentTypeParser('application/json');
  const raw = { parseAs: 'buffer' as const };
  for (const type of ['application/json', 'application/x-www-form-urlencoded']) {
    app.addContentTypeParser(type, raw, (_req, body, done) => done(null, body));
  }

  const receipt = envelope(
    z.object({
      received: z.literal(true),
      duplicate: z.boolean().optional(),
      ignored: z.boolean().optional(),
    }),
  );
  const deps = {
    store: app.store,
    cached: app.woo.stores,
    sites: app.woo.sites,
    intake: app.woo.intake,
  };
  const delivery = (request: FastifyRequest) => ({
    body: Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0),
    contentType: request.headers['content-type'],
    signature: header(request.headers['x-wc-webhook-signature']),
    topic: header(request.headers['x-wc-webhook-topic']),
  });

  app.post(
    '/api/webhooks/woocommerce/:storeId',
    {
      config: open,
      bodyLimit: app.config.http.webhookBodyLimit,
      schema: {
        tags: ['webhooks'],
        summary: 'WooCommerce order webhooks (X-WC-Webhook-Signature verified) and its ping',
        security: [],
        params: z.object({ storeId: z.string().min(1).max(100) }),
        response: {
          200: receipt,
          400: ErrorSchema,
          401: ErrorSchema,
          404: ErrorSchema,
          413: ErrorSchema,
        },
      },
    },
    async (request) =>
      ok(await receiveWooWebhook(deps, { storeId: request.params.storeId, ...delivery(request) })),
  );

  app.post(
    '/api/webhooks/woocommerce',
    {
      config: open,
      bodyLimit: app.config.http.webhookBodyLimit,
      schema: {
        tags: ['webhooks'],
        summary:
          'WooCommerce webhooks to the store-less URL: the store is the one whose site URL is ' +
          'X-WC-Webhook-Source (409 when two share it: use their own URLs)',
        security: [],
        response: {
          200: receipt,
          400: ErrorSchema,
          401: ErrorSchema,
          404: ErrorSchema,
          409: ErrorSchema,
          413: ErrorSchema,
        },
      },
    },
    async (request) =>
      ok(
        await receiveWooSiteWebhook(deps, {
          source: header(request.headers['x-wc-webhook-source']),
          ...delivery(request),
        }),
      ),
  );
};

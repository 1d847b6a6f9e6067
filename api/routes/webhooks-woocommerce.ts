import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { receiveWooWebhook } from '../../woocommerce/receive';
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
          200: envelope(
            z.object({
              received: z.literal(true),
              duplicate: z.boolean().optional(),
              ignored: z.boolean().optional(),
            }),
          ),
          400: ErrorSchema,
          401: ErrorSchema,
          404: ErrorSchema,
          413: ErrorSchema,
        },
      },
    },
    async (request) =>
      ok(
        await receiveWooWebhook(
          { store: app.store, cached: app.woo.stores, intake: app.woo.intake },
          {
            storeId: request.params.storeId,
            body: Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0),
            contentType: request.headers['content-type'],
            signature: header(request.headers['x-wc-webhook-signature']),
            topic: header(request.headers['x-wc-webhook-topic']),
          },
        ),
      ),
  );
};

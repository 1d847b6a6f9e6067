import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { sha256Hex } from '../../lib/crypto';
import { NotFoundError, UnauthorizedError, ValidationError } from '../../lib/errors';
import { wooDeliveryKey } from '../../store/woocommerce';
import { orderIdOf } from '../../woocommerce/order';
import { isWooPing, validWooSignature } from '../../woocommerce/signature';
import { envelope, ErrorSchema, ok } from '../schemas/common';

const open = { public: true, rateLimit: false };
/** The order topics handled; WooCommerce's others are acknowledged and dropped. */
const TOPICS = new Set(['order.created', 'order.updated']);
const MAX_DELIVERY_ID = 200;

const header = (value: string | string[] | undefined) =>
  typeof value === 'string' ? value.trim() : undefined;

/** WooCommerce's webhooks: its ping, and signed order deliveries stored before they are answered. */
export const wooWebhookRoutes: FastifyPluginAsyncZod = async (app) => {
  const storeOf = (id: string) =>
    app.woo.stores.getOrLoad(id, async () => {
      const store = await app.store.wooStores.byId(id);
      return store && { store, secret: app.store.wooStores.secretOf(store) };
    });

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
        },
      },
    },
    async (request) => {
      const known = await storeOf(request.params.storeId);
      if (!known)
        throw new NotFoundError(`WooCommerce store '${request.params.storeId}' not found`);
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const signature = header(request.headers['x-wc-webhook-signature']);
      if (!signature && isWooPing(body, request.headers['content-type'])) {
        return ok({ received: true as const });
      }
      if (!signature) throw new UnauthorizedError('Missing X-WC-Webhook-Signature');
      if (!validWooSignature(known.secret, body, signature)) {
        throw new UnauthorizedError('Invalid webhook signature');
      }
      const topic = header(request.headers['x-wc-webhook-topic']) ?? '';
      if (!TOPICS.has(topic)) return ok({ received: true as const, ignored: true });

      let order: unknown;
      try {
        order = JSON.parse(body.toString('utf8'));
      } catch {
        throw new ValidationError('Body is not valid JSON');
      }
      const orderId = orderIdOf(order);
      if (!orderId) throw new ValidationError('id: the order has no valid id');
      const deliveryId =
        header(request.headers['x-wc-webhook-delivery-id']) || sha256Hex(body.toString('utf8'));
      if (deliveryId.length > MAX_DELIVERY_ID) {
        throw new ValidationError(
          `X-WC-Webhook-Delivery-ID: at most ${MAX_DELIVERY_ID} characters`,
        );
      }
      const { store } = known;
      const created = await app.woo.intake.accept({
        _id: wooDeliveryKey(store._id, deliveryId),
        org_id: store.org_id,
        store_id: store._id,
        order_id: orderId,
        topic,
        body: body.toString('utf8'),
        received_at: new Date(),
        handed_off_at: null,
        attempts: 0,
        last_error: null,
      });
      return ok({ received: true as const, ...(created ? {} : { duplicate: true }) });
    },
  );
};

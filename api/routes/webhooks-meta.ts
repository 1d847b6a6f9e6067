import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { acceptMetaWebhook, cachedAppSecrets, verifySubscription } from '../../inbound/meta-intake';
import { envelope, ErrorSchema, ok } from '../schemas/common';

const open = { public: true, rateLimit: false };

/** Meta's webhook: the GET handshake and signed POSTs, stored before they are answered. */
export const metaWebhookRoutes: FastifyPluginAsyncZod = async (app) => {
  const appSecrets = cachedAppSecrets(app.store);

  // The signature covers the exact bytes Meta sent, so this route keeps the raw body.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) =>
    done(null, body),
  );

  app.get(
    '/api/webhooks/meta',
    {
      config: open,
      schema: {
        tags: ['webhooks'],
        summary: "Meta's verification handshake: echoes hub.challenge for a known verify token",
        security: [],
        querystring: z.object({
          'hub.mode': z.string().optional(),
          'hub.verify_token': z.string().optional(),
          'hub.challenge': z.string().optional(),
        }),
        response: { 200: z.string(), 403: ErrorSchema },
      },
    },
    async (request, reply) => {
      const challenge = await verifySubscription({ store: app.store }, request.query);
      return reply.type('text/plain').send(challenge);
    },
  );

  app.post(
    '/api/webhooks/meta',
    {
      config: open,
      bodyLimit: app.config.http.metaWebhookBodyLimit,
      schema: {
        tags: ['webhooks'],
        summary: 'WhatsApp messages and statuses from Meta (X-Hub-Signature-256 verified)',
        security: [],
        response: {
          200: envelope(z.object({ received: z.literal(true) })),
          400: ErrorSchema,
          401: ErrorSchema,
          413: ErrorSchema,
        },
      },
    },
    async (request) => {
      const header = request.headers['x-hub-signature-256'];
      await acceptMetaWebhook(
        { appSecrets, inbox: app.inbox },
        request.body as Buffer | undefined,
        typeof header === 'string' ? header : undefined,
      );
      return ok({ received: true as const });
    },
  );
};

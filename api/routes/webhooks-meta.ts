import { createHmac } from 'node:crypto';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { safeEqual } from '../../lib/crypto';
import { TtlCache } from '../../lib/ttl-cache';
import { UnauthorizedError, ValidationError, ForbiddenError } from '../../lib/errors';
import { phoneNumberIds, type MetaWebhook } from '../../meta/webhook-payload';
import { envelope, ErrorSchema, ok } from '../schemas/common';

const open = { public: true, rateLimit: false };

/**
 * How long a number's app secret is reused without a database read and a decryption: the
 * webhook endpoint takes thousands of requests a second. A new or changed account is seen
 * within this time (Meta retries a refused webhook).
 */
const SECRET_CACHE_MS = 5_000;

const expectedSignature = (secret: string, raw: Buffer) =>
  `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;

/** Meta's webhook: the GET handshake and signed POSTs, stored before they are answered. */
export const metaWebhookRoutes: FastifyPluginAsyncZod = async (app) => {
  const secrets = new TtlCache<string, string | null>(SECRET_CACHE_MS);
  const appSecret = (phoneNumberId: string) =>
    secrets.getOrLoad(phoneNumberId, async () => {
      const account = await app.store.accounts.findByPhoneNumberId(phoneNumberId);
      return account && app.store.accounts.credentials(account).appSecret;
    });

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
      const q = request.query;
      const token = q['hub.verify_token'];
      const account = token ? await app.store.accounts.findByVerifyToken(token) : null;
      const valid =
        account !== null &&
        q['hub.mode'] === 'subscribe' &&
        safeEqual(app.store.accounts.credentials(account).verifyToken, token ?? '');
      if (!valid || q['hub.challenge'] === undefined) {
        throw new ForbiddenError('Webhook verification failed: unknown verify token or mode');
      }
      return reply.type('text/plain').send(q['hub.challenge']);
    },
  );

  app.post(
    '/api/webhooks/meta',
    {
      config: open,
      schema: {
        tags: ['webhooks'],
        summary: 'WhatsApp messages and statuses from Meta (X-Hub-Signature-256 verified)',
        security: [],
        response: {
          200: envelope(z.object({ received: z.literal(true) })),
          400: ErrorSchema,
          401: ErrorSchema,
        },
      },
    },
    async (request) => {
      const raw = request.body as Buffer;
      let payload: MetaWebhook;
      try {
        payload = JSON.parse(raw.toString('utf8')) as MetaWebhook;
      } catch {
        throw new ValidationError('Body is not valid JSON');
      }
      const header = request.headers['x-hub-signature-256'];
      if (typeof header !== 'string') throw new UnauthorizedError('Missing X-Hub-Signature-256');
      const ids = phoneNumberIds(payload);
      if (!ids.length) throw new ValidationError('No metadata.phone_number_id in the payload');
      // Every number the payload speaks for must be ours and its app secret must sign it.
      for (const id of ids) {
        const secret = await appSecret(id);
        if (!secret || !safeEqual(expectedSignature(secret, raw), header)) {
          throw new UnauthorizedError('Invalid webhook signature');
        }
      }
      await app.inbox.accept(raw.toString('utf8'));
      return ok({ received: true as const });
    },
  );
};

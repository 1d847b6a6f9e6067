import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { safeEqual } from '../../lib/crypto';
import { UnauthorizedError } from '../../lib/errors';
import { collectMetrics } from '../../metrics/collect';
import { EXPOSITION_CONTENT_TYPE, exposition } from '../../metrics/prometheus';
import { ErrorSchema } from '../schemas/common';

/** The token of `Authorization: Bearer <token>`, or null. */
function bearerOf(request: FastifyRequest): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
  return match?.[1] ?? null;
}

/**
 * Prometheus' scrape target, outside /api like every exporter's: no API key and no rate limit
 * (a scraper is not an organization), only the METRICS_TOKEN bearer token when one is set.
 */
export const metricsRoutes: FastifyPluginAsyncZod = async (app) => {
  const { token } = app.config.metrics;

  app.get(
    '/metrics',
    {
      config: { public: true, rateLimit: false },
      schema: {
        tags: ['health'],
        summary: 'Prometheus metrics (text exposition format 0.0.4)',
        description:
          'Counters of every process (messages sent, Meta errors, webhook deliveries) and gauges ' +
          'read at scrape time (send queue depth, send rate, inbound webhook lag). When the ' +
          'server sets METRICS_TOKEN, send it as `Authorization: Bearer <token>`.',
        security: [],
        response: {
          200: {
            description: 'The metrics',
            content: { 'text/plain; version=0.0.4': { schema: z.string() } },
          },
          401: ErrorSchema,
        },
      },
    },
    async (request, reply) => {
      if (token !== null) {
        const given = bearerOf(request);
        if (given === null || !safeEqual(given, token)) {
          throw new UnauthorizedError('Send the metrics token as Authorization: Bearer <token>');
        }
      }
      const text = exposition(await collectMetrics(app.store));
      return reply.type(EXPOSITION_CONTENT_TYPE).send(text);
    },
  );
};

import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { METRICS_TOKEN_HINT, metricsAllowed } from '../../lib/bearer';
import { UnauthorizedError } from '../../lib/errors';
import { collectMetrics } from '../../metrics/collect';
import { processMetrics } from '../../metrics/process-metrics';
import { EXPOSITION_CONTENT_TYPE, exposition } from '../../metrics/prometheus';
import { ErrorSchema } from '../schemas/common';

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
          'read at scrape time (send queue depth, send rate, inbound webhook lag); then this ' +
          "process's own metrics (CPU, memory, event loop, GC) and its HTTP request latency " +
          'histogram (`http_request_duration_seconds`, by method, route and status). When the ' +
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
      if (!metricsAllowed(request.headers.authorization, token)) {
        throw new UnauthorizedError(METRICS_TOKEN_HINT);
      }
      const [waflow, own, http] = await Promise.all([
        collectMetrics(app.store).then(exposition),
        processMetrics().metrics(),
        app.httpLatency.registry.metrics(),
      ]);
      return reply.type(EXPOSITION_CONTENT_TYPE).send(waflow + own + http);
    },
  );
};

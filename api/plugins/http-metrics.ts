import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { HttpLatency } from '../../metrics/http-latency';
import { processMetrics } from '../../metrics/process-metrics';

/** Requests no route matched (404s) share one series rather than one per URL tried. */
const UNMATCHED = 'unmatched';

/** Every answer's latency into the `http_request_duration_seconds` histogram /metrics shows. */
export const httpMetricsPlugin = fp(
  (app: FastifyInstance) => {
    // Made now, so that GC and event loop figures count from the start rather than the first scrape.
    processMetrics();
    const latency = new HttpLatency();
    app.decorate('httpLatency', latency);
    // A callback hook: an async one would cost every request a promise.
    app.addHook('onResponse', (request, reply, done) => {
      const route = request.routeOptions.url ?? UNMATCHED;
      latency.observe(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
      done();
    });
  },
  { name: 'http-metrics' },
);

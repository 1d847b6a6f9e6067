import { FastifyOtelInstrumentation } from '@fastify/otel';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry/lib/client';
import type { FastifyInstance } from 'fastify';
import { startTracing } from '../lib/tracing';

/**
 * The API's tracing, loaded (`await import`) only when OTEL_EXPORTER_OTLP_ENDPOINT is set: a
 * span per request through @fastify/otel, continuing the caller's W3C trace context, flushed
 * when the app closes.
 */
export async function registerTracing(app: FastifyInstance): Promise<void> {
  const { otlpEndpoint, serviceName } = app.config.observability;
  const tracing = startTracing(otlpEndpoint!, serviceName ?? 'waflow-api');
  const instrumentation = new FastifyOtelInstrumentation({
    // A span per request and one for its handler; one per hook would multiply them by ten.
    instrumentHooks: false,
    requestHook(span, request) {
      // Named as HTTP server spans are; the path without its query, whose Meta verify token
      // is a credential.
      span.updateName(`${request.method} ${request.routeOptions.url ?? 'unmatched'}`);
      span.setAttribute('url.path', request.url.split('?')[0]!);
    },
  });
  app.addHook('onClose', () => tracing.shutdown());
  await app.register(instrumentation.plugin());
}

/** The Temporal client's interceptors: a workflow started in a request continues its trace. */
export function tracingClientInterceptors() {
  return { workflow: [new OpenTelemetryWorkflowClientInterceptor()] };
}

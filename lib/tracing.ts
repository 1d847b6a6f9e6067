import { context, propagation, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

/**
 * OpenTelemetry tracing, for this process. Imported only when OTEL_EXPORTER_OTLP_ENDPOINT is
 * set (`await import`), so that without it nothing of the SDK is loaded.
 */
export interface Tracing {
  resource: Resource;
  spanProcessor: SpanProcessor;
  /** Sends the spans still batched, then unregisters the provider. */
  shutdown(): Promise<void>;
}

/**
 * Registers a tracer provider, W3C trace context propagation and async context tracking for
 * the process, exporting spans in batches over OTLP/HTTP (JSON) to `<endpoint>/v1/traces`.
 * The exporter's other OTEL_EXPORTER_OTLP_* variables (headers, timeout) apply as usual.
 */
export function startTracing(endpoint: string, serviceName: string): Tracing {
  const resource = new Resource({ 'service.name': serviceName });
  const spanProcessor = new BatchSpanProcessor(
    new OTLPTraceExporter({ url: `${endpoint}/v1/traces` }),
  );
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register();
  return {
    resource,
    spanProcessor,
    async shutdown() {
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}

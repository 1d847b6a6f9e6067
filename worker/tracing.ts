import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/worker';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry/lib/client';
import type { WorkerInterceptors, WorkerOptions } from '@temporalio/worker';
import { startTracing } from '../lib/tracing';
import type { WorkerTracingOptions } from './worker';

/** The workflow side's interceptors, which the traced workflow bundle is built with. */
export const WORKFLOW_TRACING_MODULE =
  require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors');

export interface WorkerTracing extends WorkerTracingOptions {
  /** Activity spans, continuing the workflow's trace from the activity's headers. */
  interceptors: WorkerInterceptors;
  /** Where workflow code hands its spans (it cannot export them from its sandbox). */
  sinks: NonNullable<WorkerOptions['sinks']>;
  /** For the worker's own client: workflows it starts continue the activity's trace. */
  clientInterceptors: { workflow: OpenTelemetryWorkflowClientInterceptor[] };
  shutdown(): Promise<void>;
}

/**
 * The worker's tracing, loaded only when OTEL_EXPORTER_OTLP_ENDPOINT is set: workflow spans
 * (through the traced bundle and the exporter sink), activity spans, and the client's.
 */
export function startWorkerTracing(endpoint: string, serviceName: string): WorkerTracing {
  const tracing = startTracing(endpoint, serviceName);
  return {
    workflowModule: WORKFLOW_TRACING_MODULE,
    interceptors: {
      activity: [
        (ctx) => ({
          inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
          outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
        }),
      ],
    },
    sinks: { exporter: makeWorkflowExporter(tracing.spanProcessor, tracing.resource) },
    clientInterceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] },
    shutdown: () => tracing.shutdown(),
  };
}

import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { Logger } from 'pino';
import { createMetaClient } from '../meta/client';
import { ConfigError, loadConfig, type Config } from '../lib/config';
import { createLogger } from '../lib/logger';
import { processMetrics } from '../metrics/process-metrics';
import { openStore } from '../store';
import { Dispatcher } from '../sending/dispatcher';
import { subscribedOnly } from '../webhooks/event-filter';
import { temporalRetryReporter } from '../sending/retries';
import { startWorkerHttp } from './http';
import { ensureSchedules } from './schedules';
import { startWorkerServices } from './services';
import { installTemporalRuntime } from './temporal-runtime';
import type { WorkerTracing } from './tracing';
import { createWorker } from './worker';
import type * as WorkerTracingModule from './tracing';

/** Tracing when OTEL_EXPORTER_OTLP_ENDPOINT is set; without it the SDK is never loaded. */
function workerTracing(config: Config): WorkerTracing | undefined {
  const { otlpEndpoint, serviceName } = config.observability;
  if (!otlpEndpoint) return undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when on
  const { startWorkerTracing } = require('./tracing') as typeof WorkerTracingModule;
  return startWorkerTracing(otlpEndpoint, serviceName ?? 'waflow-worker');
}

/** Composition root: config -> connections -> activities -> Worker. */
async function main(config: Config, log: Logger) {
  const { address, namespace, taskQueue } = config.temporal;
  processMetrics();
  const temporalMetrics = await installTemporalRuntime(config, log);
  const tracing = workerTracing(config);
  const database = await openStore(config, 'waflow-worker');
  const connection = await NativeConnection.connect({ address });
  const clientConnection = await Connection.connect({ address });
  const meta = createMetaClient({
    apiVersion: config.meta.apiVersion,
    connections: config.send.connections,
  });
  try {
    const interceptors = tracing?.clientInterceptors;
    const client = new Client({ connection: clientConnection, namespace, interceptors });
    if (config.temporal.schedules) {
      await ensureSchedules(client, {
        taskQueue,
        cleanupIntervalMinutes: config.cleanupIntervalMinutes,
        templateSyncIntervalMinutes: config.templateSyncIntervalMinutes,
      });
    }
    const { store, signals } = database;
    const services = startWorkerServices({ config, store, signals, meta, client, log });
    const { webhooks, activities } = services;
    const { maxCachedWorkflows } = config.temporal;
    const worker = await createWorker({
      connection,
      namespace,
      taskQueue,
      activities,
      maxCachedWorkflows,
      tracing,
    });
    const retries = temporalRetryReporter(client, taskQueue, config.send.retryDelaysMs);
    const { counters } = webhooks;
    const dispatcher = new Dispatcher({
      config,
      store,
      signals,
      meta,
      retries,
      counters,
      log,
      eventFilter: subscribedOnly(webhooks.directory),
      blobs: services.blobs,
    });
    await dispatcher.start();
    const { host, port } = config.observability.worker;
    const http = await startWorkerHttp({
      host,
      port,
      token: config.metrics.token,
      running: () => worker.getState() === 'RUNNING',
      metrics: async () => {
        const own = await processMetrics().metrics();
        // Without the SDK's figures the process's own are still worth a scrape.
        const temporal = await temporalMetrics.metrics().catch((err: unknown) => {
          log.warn({ err }, "the Temporal SDK's metrics could not be read");
          return '';
        });
        return own + temporal;
      },
      log,
    });
    log.info({ host, port: http.port }, 'worker serving /health and /metrics');
    try {
      // The SDK's runtime turns SIGINT/SIGTERM into a graceful shutdown: run() resolves after it.
      await worker.run();
    } finally {
      await dispatcher.close();
      await services.close();
      await http.close();
    }
  } finally {
    await meta.close();
    await clientConnection.close();
    await connection.close();
    await database.close();
    await tracing?.shutdown();
  }
}

function start() {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    // A user's mistake: its message names the variable, a stack trace would only hide it.
    if (!(err instanceof ConfigError)) throw err;
    createLogger('info').fatal(err.message);
    process.exit(1);
  }
  const log = createLogger(config.logLevel);
  main(config, log).catch((err: unknown) => {
    log.fatal({ err }, 'the worker stopped on an error');
    process.exit(1);
  });
}

start();

import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createMetaClient } from '../../meta/client';
import type { Config } from '../../lib/config';
import type { Store, StoreHandle } from '../../store';
import { Dispatcher } from '../../sending/dispatcher';
import { temporalRetryReporter } from '../../sending/retries';
import type { AutomationEngine } from '../../automations/engine';
import type { WebhookEngine } from '../../webhooks/engine';
import type { MediaDownloads } from '../../media/downloads';
import { startWorkerServices } from '../../worker/services';
import { createWorker } from '../../worker/worker';
import { testWorkflowBundle } from './workflow-bundle';

export interface TestWorker {
  client: Client;
  /**
   * The store it was given. A store of its own (not the API's) makes it behave as its own
   * process: the events it records are dispatched by it.
   */
  store: Store;
  webhooks: WebhookEngine;
  /** Its automation engine: it reads the enabled automations at most once per 5 s. */
  automations: AutomationEngine;
  dispatcher: Dispatcher;
  /** Its inbound media downloads (`idle()` waits for those due). */
  mediaDownloads: MediaDownloads;
  /** Stops it; again, waits for the first stop. */
  stop(): Promise<void>;
}

const quiet = { warn() {}, error() {} };

/**
 * A real worker with every workflow and activity, on the config's own task queue, and the
 * message dispatcher beside it, as the worker process runs them.
 */
export async function startTestWorker(config: Config, database: StoreHandle): Promise<TestWorker> {
  const { store, signals } = database;
  const { address, namespace, taskQueue } = config.temporal;
  const nativeConnection = await NativeConnection.connect({ address });
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace });
  const meta = createMetaClient({ apiVersion: config.meta.apiVersion, timeoutMs: 5_000 });
  const services = startWorkerServices({ config, store, signals, meta, client, log: quiet });
  const { webhooks, activities } = services;
  const worker = await createWorker({
    connection: nativeConnection,
    namespace,
    taskQueue,
    activities,
    workflowBundlePath: testWorkflowBundle().codePath,
  });
  const running = worker.run();
  const { counters } = webhooks;
  const retries = temporalRetryReporter(client, taskQueue, config.send.retryDelaysMs);
  const dispatcher = new Dispatcher({
    config,
    store,
    signals,
    meta,
    retries,
    counters,
    log: quiet,
    blobs: services.blobs,
  });
  await dispatcher.start();
  let stopping: Promise<void> | undefined;
  return {
    client,
    store,
    webhooks,
    automations: services.automations,
    dispatcher,
    mediaDownloads: services.mediaDownloads,
    stop() {
      stopping ??= stop();
      return stopping;
    },
  };

  async function stop() {
    await dispatcher.close();
    worker.shutdown();
    await running;
    await services.close();
    await meta.close();
    await nativeConnection.close();
    await connection.close();
  }
}

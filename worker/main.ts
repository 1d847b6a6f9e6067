import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createMetaClient } from '../meta/client';
import { loadConfig } from '../lib/config';
import { openStore } from '../store';
import { Dispatcher } from '../sending/dispatcher';
import { subscribedOnly } from '../webhooks/event-filter';
import { temporalRetryReporter } from '../sending/retries';
import { ensureSchedules } from './schedules';
import { startWorkerServices } from './services';
import { createWorker } from './worker';

/** Composition root: config -> connections -> activities -> Worker. */
async function main() {
  const config = loadConfig();
  const { address, namespace, taskQueue } = config.temporal;
  const database = await openStore(config, 'waflow-worker');
  const connection = await NativeConnection.connect({ address });
  const clientConnection = await Connection.connect({ address });
  const meta = createMetaClient({
    apiVersion: config.meta.apiVersion,
    connections: config.send.connections,
  });
  try {
    const client = new Client({ connection: clientConnection, namespace });
    if (config.temporal.schedules) {
      await ensureSchedules(client, {
        taskQueue,
        cleanupIntervalMinutes: config.cleanupIntervalMinutes,
        templateSyncIntervalMinutes: config.templateSyncIntervalMinutes,
      });
    }
    const { store, signals } = database;
    const log = {
      warn: (obj: object, msg: string) => console.warn(msg, obj),
      error: (obj: object, msg: string) => console.error(msg, obj),
    };
    const services = startWorkerServices({ config, store, signals, meta, client, log });
    const { webhooks, activities } = services;
    const { maxCachedWorkflows } = config.temporal;
    const worker = await createWorker({
      connection,
      namespace,
      taskQueue,
      activities,
      maxCachedWorkflows,
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
    try {
      // The SDK's runtime turns SIGINT/SIGTERM into a graceful shutdown: run() resolves after it.
      await worker.run();
    } finally {
      await dispatcher.close();
      await services.close();
    }
  } finally {
    await meta.close();
    await clientConnection.close();
    await connection.close();
    await database.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

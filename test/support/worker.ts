import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { createMetaClient } from '../../activities/meta/client';
import type { Config } from '../../lib/config';
import type { Store } from '../../store';
import { createWebhookEngine, type WebhookEngine } from '../../webhooks/engine';
import { createWorker } from '../../worker/worker';

export interface TestWorker {
  client: Client;
  /**
   * The store it was given. A store of its own (not the API's) makes it behave as its own
   * process: the events it records are dispatched by it.
   */
  store: Store;
  webhooks: WebhookEngine;
  stop(): Promise<void>;
}

const quiet = { warn() {}, error() {} };

/** A real worker with every workflow and activity, on the config's own task queue. */
export async function startTestWorker(config: Config, store: Store): Promise<TestWorker> {
  const { address, namespace, taskQueue } = config.temporal;
  const nativeConnection = await NativeConnection.connect({ address });
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace });
  const meta = createMetaClient({ apiVersion: config.meta.apiVersion, timeoutMs: 5_000 });
  const webhooks = createWebhookEngine({ config, store, client, log: quiet });
  const worker = await createWorker({
    connection: nativeConnection,
    namespace,
    taskQueue,
    activities: createActivities({ config, store, meta, webhooks }),
  });
  const running = worker.run();
  return {
    client,
    store,
    webhooks,
    async stop() {
      worker.shutdown();
      await running;
      await webhooks.close();
      await meta.close();
      await nativeConnection.close();
      await connection.close();
    },
  };
}

import type { Config } from '../../lib/config';
import { createMetaClient } from '../../meta/client';
import { CounterBuffer } from '../../metrics/counter-buffer';
import { openBlobStore } from '../../media/open-blob-store';
import { Dispatcher } from '../../sending/dispatcher';
import { temporalRetryReporter } from '../../sending/retries';
import { openStore } from '../../store';
import type { MessagingHarness } from './messaging';

/**
 * A dispatcher of its own beside the harness's, as another worker process runs one: its own
 * store connection and Meta client (64 connections), configured by `config`.
 */
export async function startDispatcher(h: MessagingHarness, config: Config = h.config) {
  const database = await openStore(config);
  const meta = createMetaClient({ apiVersion: config.meta.apiVersion, connections: 64 });
  const counters = new CounterBuffer(database.store.counters);
  const blobs = openBlobStore(config.media);
  const dispatcher = new Dispatcher({
    config,
    store: database.store,
    signals: database.signals,
    meta,
    retries: temporalRetryReporter(
      h.worker.client,
      config.temporal.taskQueue,
      config.send.retryDelaysMs,
    ),
    counters,
    log: { warn() {} },
    blobs,
  });
  await dispatcher.start();
  return {
    signals: database.signals,
    async close() {
      await dispatcher.close();
      await counters.close();
      await meta.close();
      blobs.close();
      await database.close();
    },
  };
}

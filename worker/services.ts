import type { Client } from '@temporalio/client';
import { createActivities, type Activities } from '../activities';
import type { AutomationEngine } from '../automations/engine';
import { startAutomations } from '../automations/runtime';
import type { Config } from '../lib/config';
import type { Log } from '../lib/log';
import type { MetaClient } from '../meta/client';
import { MediaDownloads } from '../media/downloads';
import type { BlobStore } from '../media/blob-store';
import { openBlobStore } from '../media/open-blob-store';
import type { Store } from '../store';
import type { Signals } from '../store/signals';
import { sandboxFromConfig } from '../vm/from-config';
import { createWebhookEngine, type WebhookEngine } from '../webhooks/engine';

export interface WorkerServices {
  webhooks: WebhookEngine;
  automations: AutomationEngine;
  activities: Activities;
  /** Inbound media files' downloads, from the store's queue. */
  mediaDownloads: MediaDownloads;
  /** The media store: downloads write to it, sends read uploads from it. */
  blobs: BlobStore;
  /**
   * Stops them in order: automations (their last routing), media downloads, outbound webhooks,
   * the sandbox.
   */
  close(): Promise<void>;
}

/**
 * What the worker process runs beside its Temporal workers: the webhook engine, the custom
 * actions' sandbox and the automation engine for the events it records, the downloads of
 * inbound media files, and every activity built over them.
 */
export function startWorkerServices(deps: {
  config: Config;
  store: Store;
  signals: Signals;
  meta: MetaClient;
  client: Client;
  log: Log;
}): WorkerServices {
  const { config, store, signals, meta, client, log } = deps;
  const webhooks = createWebhookEngine({ config, store, client, log });
  const sandbox = sandboxFromConfig(config, log);
  const automations = startAutomations({
    store,
    signals,
    sandbox,
    temporal: client,
    meta,
    config,
    log,
  });
  const blobs = openBlobStore(config.media);
  const mediaDownloads = new MediaDownloads({
    store,
    signals,
    blobs,
    meta,
    log,
    ...config.media.download,
  });
  mediaDownloads.start();
  const activities = createActivities({
    config,
    store,
    signals,
    meta,
    webhooks,
    sandbox,
    automations: automations.engine,
  });
  return {
    webhooks,
    automations: automations.engine,
    activities,
    mediaDownloads,
    blobs,
    async close() {
      await automations.close();
      await mediaDownloads.close();
      blobs.close();
      await webhooks.close();
      await sandbox.close();
    },
  };
}

import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdReusePolicy,
  type Client,
} from '@temporalio/client';
import type { Config } from '../lib/config';
import type { Store } from '../store';
import type { webhookDeliveryWorkflow } from '../workflows';
import { workflowIds, type WebhookDeliveryInput } from '../workflows/definitions';
import { createDeliverer } from './deliverer';
import { createWebhookDispatcher, type DispatcherLog, type DispatcherOptions } from './dispatcher';
import { endpointDirectory } from './endpoint-directory';
import { createWebhookHttp } from './http';

/**
 * Starts a delivery's workflow under its business ID. False when one with that ID is running,
 * or (for a first delivery, never reused) ran before.
 */
export function workflowStarter(client: Client, taskQueue: string) {
  return async (
    input: WebhookDeliveryInput,
    reuse: WorkflowIdReusePolicy = WorkflowIdReusePolicy.REJECT_DUPLICATE,
  ): Promise<boolean> => {
    try {
      await client.workflow.start<typeof webhookDeliveryWorkflow>('webhookDeliveryWorkflow', {
        workflowId: workflowIds.webhookDelivery(input.endpointId, input.eventId),
        taskQueue,
        args: [input],
        workflowIdReusePolicy: reuse,
      });
      return true;
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return false;
      throw err;
    }
  };
}

/**
 * Outbound webhook delivery for one process: every event this process records is fanned out
 * from here. The API and the worker each run one.
 */
export function createWebhookEngine(deps: {
  config: Config;
  store: Store;
  client: Client;
  log: DispatcherLog;
  options?: DispatcherOptions;
}) {
  const { config, store } = deps;
  const http = createWebhookHttp(config.webhooks, { timeoutMs: config.webhooks.timeoutMs });
  const directory = endpointDirectory(store, config.webhooks.endpointCacheMs);
  const deliverer = createDeliverer({ store, directory, http });
  const startWorkflow = workflowStarter(deps.client, config.temporal.taskQueue);
  const dispatcher = createWebhookDispatcher({
    store,
    directory,
    deliverer,
    startWorkflow: (input) => startWorkflow(input),
    log: deps.log,
    options: deps.options,
  });
  const unsubscribe = store.events.onRecorded((events) => dispatcher.enqueue(events));
  return {
    directory,
    deliverer,
    dispatcher,
    /** Replays a delivery as a new run of its workflow; false while a run is still going. */
    replay: (input: WebhookDeliveryInput) =>
      startWorkflow(input, WorkflowIdReusePolicy.ALLOW_DUPLICATE),
    async close(): Promise<void> {
      unsubscribe();
      await dispatcher.drain();
      await http.close();
    },
  };
}

export type WebhookEngine = ReturnType<typeof createWebhookEngine>;

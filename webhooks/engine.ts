import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdReusePolicy,
  type Client,
} from '@temporalio/client';
import type { Config } from '../lib/config';
import { mediaUrls } from '../media/signed-url';
import { CounterBuffer } from '../metrics/counter-buffer';
import { METRICS } from '../metrics/names';
import type { Store } from '../store';
import {
  WEBHOOK_CIRCUIT_WORKFLOW,
  type WebhookCircuitInput,
  type WebhookCircuitWorkflow,
  webhookCircuitWorkflowId,
} from '../workflows/contracts/webhook-circuit';
import {
  WEBHOOK_DELIVERY_WORKFLOW,
  type WebhookDeliveryInput,
  type WebhookDeliveryWorkflow,
  webhookDeliveryWorkflowId,
  webhookTaskQueue,
} from '../workflows/contracts/webhook-delivery';
import { createDeliverer } from './deliverer';
import {
  createWebhookDispatcher,
  type CircuitTarget,
  type DispatcherLog,
  type DispatcherOptions,
} from './dispatcher';
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
      await client.workflow.start<WebhookDeliveryWorkflow>(WEBHOOK_DELIVERY_WORKFLOW, {
        workflowId: webhookDeliveryWorkflowId(input.endpointId, input.eventId),
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

/** What an endpoint's circuit needs besides the endpoint: its schedule, from the config. */
export type CircuitSchedule = Omit<WebhookCircuitInput, 'orgId' | 'endpointId' | 'waitMs'>;

export function circuitSchedule(webhooks: Config['webhooks']): CircuitSchedule {
  const { probeFirstMs, probeMaxMs, disableAfterMs } = webhooks.circuit;
  // Beyond the time other processes may still see the circuit open in their cache.
  return { probeFirstMs, probeMaxMs, disableAfterMs, settleMs: webhooks.endpointCacheMs + 5_000 };
}

/**
 * Starts an endpoint's circuit workflow, `webhook-circuit:<endpointId>`, unless it is running:
 * one per endpoint at a time, again after an earlier one ended. False when it was running.
 */
export function circuitStarter(client: Client, taskQueue: string, schedule: CircuitSchedule) {
  return async (target: CircuitTarget): Promise<boolean> => {
    try {
      await client.workflow.start<WebhookCircuitWorkflow>(WEBHOOK_CIRCUIT_WORKFLOW, {
        workflowId: webhookCircuitWorkflowId(target.endpointId),
        taskQueue,
        args: [{ orgId: target.orgId, endpointId: target.endpointId, ...schedule }],
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
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
  /** Where attempts are counted; without one the engine keeps (and closes) its own. */
  counters?: CounterBuffer;
}) {
  const { config, store } = deps;
  const counters =
    deps.counters ??
    new CounterBuffer(store.counters, {
      intervalMs: config.metrics.flushIntervalMs,
      log: deps.log,
    });
  const taskQueue = webhookTaskQueue(config.temporal.taskQueue);
  const http = createWebhookHttp(config.webhooks, { timeoutMs: config.webhooks.timeoutMs });
  const directory = endpointDirectory(store, config.webhooks.endpointCacheMs);
  const deliverer = createDeliverer({
    store,
    directory,
    http,
    circuit: { failures: config.webhooks.circuit.failures },
    mediaUrl: mediaUrls(config),
    onReport: ({ record }) =>
      counters.inc(METRICS.webhookDeliveries.name, {
        org_id: record.org_id,
        outcome: record.outcome,
      }),
  });
  const startWorkflow = workflowStarter(deps.client, taskQueue);
  const dispatcher = createWebhookDispatcher({
    store,
    directory,
    deliverer,
    startWorkflow: (input) => startWorkflow(input),
    startCircuit: circuitStarter(deps.client, taskQueue, circuitSchedule(config.webhooks)),
    retryDelaysMs: config.webhooks.retryDelaysMs,
    log: deps.log,
    options: deps.options,
  });
  const unsubscribe = store.events.onRecorded((events) => dispatcher.enqueue(events));
  return {
    directory,
    deliverer,
    dispatcher,
    /** The counters this engine counts in (its own unless it was given one). */
    counters,
    /**
     * Replays a delivery as a new run of its workflow, with the configured retry schedule;
     * false while a run is still going.
     */
    replay: (input: Omit<WebhookDeliveryInput, 'retryDelaysMs'>) =>
      startWorkflow(
        { ...input, retryDelaysMs: config.webhooks.retryDelaysMs },
        WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      ),
    async close(): Promise<void> {
      unsubscribe();
      await dispatcher.drain();
      await http.close();
      if (!deps.counters) await counters.close();
    },
  };
}

export type WebhookEngine = ReturnType<typeof createWebhookEngine>;

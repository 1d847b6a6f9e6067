import type { Store } from '../store';
import {
  DEFAULT_WEBHOOK_RETRY_DELAYS_MS,
  type WebhookDeliveryInput,
} from '../workflows/contracts/webhook-delivery';
import { attemptWriter } from './attempt-writer';
import { createCircuit } from './circuit';
import type { Deliverer } from './deliverer';
import type { EndpointDirectory } from './endpoint-directory';
import { EndpointLanes } from './endpoint-lanes';
import { createFirstAttempts } from './first-attempt';
import { createHandOff, type CircuitTarget, type DispatcherLog } from './hand-off';
import { createRecovery } from './recovery';

export type { CircuitTarget, DispatcherLog } from './hand-off';
export type { RecoverResult } from './recovery';

export interface DispatcherOptions {
  /** Events waiting in memory beyond this are left to the sweep (they are stored already). */
  maxQueue?: number;
  batchSize?: number;
  /** Batches fanned out (claimed) at once. */
  concurrency?: number;
  /** Attempts (first ones and retries) in flight to one endpoint; its next ones wait their turn. */
  perEndpoint?: number;
  /**
   * Once the first attempt waiting for an endpoint has waited this long, the endpoint's next
   * deliveries go straight to their workflows instead of waiting in memory.
   */
  maxLaneWaitMs?: number;
  /** Claimed deliveries not yet attempted and stored; beyond, no new batch is taken. */
  maxPending?: number;
  /** An event, or a delivery's next attempt, this late is the sweep's to resume. */
  overdueMs?: number;
  /** Workflows one sweep may start (retries and circuits); the rest wait for the next sweep. */
  recoverMaxStarts?: number;
  /** Deliveries one sweep may dispatch, resume, park or skip. */
  recoverMaxDeliveries?: number;
  /** Retry workflows this process starts a second at most; the rest wait their turn. */
  retryStartsPerSecond?: number;
  /** Circuit workflows likewise (an outage opens many circuits at once). */
  circuitStartsPerSecond?: number;
}

/**
 * Fans recorded events out to the endpoints subscribed to them, at most once per endpoint and
 * event, and makes each delivery's first attempt at once. A delivery that needs retrying is
 * handed to its Temporal workflow (`webhook:<endpointId>:<eventId>`), which keeps the exact
 * schedule across restarts. Successful first attempts, the usual case, cost the workflow
 * engine nothing.
 *
 * An endpoint that keeps failing has its circuit opened (see Deliverer): its deliveries are
 * then parked in its backlog, without a POST or a workflow each, and one workflow per endpoint
 * (`webhook-circuit:<endpointId>`) probes it and releases them in order. So the workflows a
 * failing endpoint costs are bounded: fewer than `circuit.failures` retries per process, and
 * its circuit.
 *
 * Durability: the event is stored before it gets here; a claim (one dispatch document per
 * event, unique by event id) is stored before any POST; every attempt is stored, a parked
 * delivery's place in the backlog before its held record. What a crash interrupts,
 * `recover()` finds by comparing them and resumes, a bounded amount per run.
 *
 * Its parts: fan-out.ts (events to dispatches), first-attempt.ts (the in-memory queue and
 * first attempts), hand-off.ts (storing, parking, and starting workflows) and recovery.ts (the
 * sweep).
 */
export function createWebhookDispatcher(deps: {
  store: Store;
  directory: EndpointDirectory;
  deliverer: Deliverer;
  /** Starts the delivery's workflow; false when one was already started under that ID. */
  startWorkflow: (input: WebhookDeliveryInput) => Promise<boolean>;
  /** Starts the endpoint's circuit workflow; false when it is running. */
  startCircuit?: (target: CircuitTarget) => Promise<boolean>;
  /** Waits before a delivery's 2nd, 3rd... attempt (`webhooks.retryDelaysMs`). */
  retryDelaysMs?: readonly number[];
  log: DispatcherLog;
  options?: DispatcherOptions;
  now?: () => number;
}) {
  const { store, directory, deliverer, log } = deps;
  const options = deps.options ?? {};
  const now = deps.now ?? Date.now;
  const retryDelaysMs = deps.retryDelaysMs ?? DEFAULT_WEBHOOK_RETRY_DELAYS_MS;
  const lanes = new EndpointLanes(options.perEndpoint ?? 64, options.maxLaneWaitMs ?? 5_000, now);
  const writer = attemptWriter(store);
  const circuit = createCircuit({ store, directory, deliverer, writer, now });
  const handOff = createHandOff({
    store,
    deliverer,
    writer,
    lanes,
    startWorkflow: deps.startWorkflow,
    startCircuit: deps.startCircuit,
    retryDelaysMs,
    retryStartsPerSecond: options.retryStartsPerSecond ?? 50,
    circuitStartsPerSecond: options.circuitStartsPerSecond ?? 20,
    log,
    now,
  });
  const first = createFirstAttempts({
    store,
    directory,
    deliverer,
    lanes,
    handOff,
    firstRetryDelayMs: retryDelaysMs[0] ?? null,
    maxQueue: options.maxQueue ?? 20_000,
    batchSize: options.batchSize ?? 250,
    concurrency: options.concurrency ?? 4,
    maxPending: options.maxPending ?? 10_000,
    log,
    now,
  });
  const recover = createRecovery({
    store,
    directory,
    deliverer,
    circuit,
    handOff,
    dispatch: first.dispatch,
    overdueMs: options.overdueMs ?? 30_000,
    maxStarts: options.recoverMaxStarts ?? 200,
    maxDeliveries: options.recoverMaxDeliveries ?? 5_000,
    now,
  });

  return {
    enqueue: first.enqueue,
    drain: first.drain,
    dispatch: first.dispatch,
    claimAndDeliver: first.claimAndDeliver,
    attemptRetry: handOff.attemptRetry,
    /** The circuit workflow's operations (its activities). */
    circuit,
    recover,
  };
}

export type WebhookDispatcher = ReturnType<typeof createWebhookDispatcher>;

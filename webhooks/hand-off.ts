import type { Store } from '../store';
import type {
  WebhookAttemptResult,
  WebhookDeliveryInput,
} from '../workflows/contracts/webhook-delivery';
import type { AttemptWriter } from './attempt-writer';
import type { AttemptReport, Deliverer, DeliveryTarget } from './deliverer';
import type { EndpointLanes } from './endpoint-lanes';
import { Throttle } from './throttle';

export interface DispatcherLog {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** The endpoint whose circuit workflow is to run. */
export interface CircuitTarget {
  orgId: string;
  endpointId: string;
}

/** A circuit started by this process is not started again from here for this long. */
const CIRCUIT_START_MEMO_MS = 10_000;
/** A hand-off that waited less than this for its turn keeps its full wait. */
const HAND_OFF_SLACK_MS = 1_000;

/**
 * What becomes of a delivery after an attempt, or when it is resumed: its attempt stored, or
 * the delivery parked in its endpoint's backlog (whose circuit workflow is then started), or
 * handed to its retry workflow, with the configured retry schedule. Workflow starts are
 * throttled, and counted (the sweep's budget).
 */
export function createHandOff(deps: {
  store: Store;
  deliverer: Deliverer;
  writer: AttemptWriter;
  lanes: EndpointLanes;
  /** Starts the delivery's workflow; false when one was already started under that ID. */
  startWorkflow: (input: WebhookDeliveryInput) => Promise<boolean>;
  /** Starts the endpoint's circuit workflow; false when it is running. */
  startCircuit?: (target: CircuitTarget) => Promise<boolean>;
  retryDelaysMs: readonly number[];
  retryStartsPerSecond: number;
  circuitStartsPerSecond: number;
  log: DispatcherLog;
  now: () => number;
}) {
  const { store, deliverer, writer, lanes, startWorkflow, startCircuit, retryDelaysMs, log, now } =
    deps;
  const starts = new Throttle(deps.retryStartsPerSecond);
  // Apart: a retry's hand-off may wait for its endpoint's circuit to start.
  const circuitStarts = new Throttle(deps.circuitStartsPerSecond);
  const circuitsStarted = new Map<string, number>();
  let started = 0;

  async function retry(target: DeliveryTarget, attempt: number, waitMs: number) {
    try {
      const fresh = await startWorkflow({ ...target, attempt, waitMs, retryDelaysMs });
      if (fresh) started++;
      return fresh;
    } catch (err) {
      log.error(
        { err, endpointId: target.endpointId, eventId: target.eventId },
        'could not start the webhook retry workflow; the sweep will',
      );
      return false;
    }
  }

  /** Starts the endpoint's circuit unless this process did so a moment ago. */
  async function ensureCircuit(target: CircuitTarget): Promise<boolean> {
    if (!startCircuit) return false;
    const at = now();
    const last = circuitsStarted.get(target.endpointId);
    if (last !== undefined && at - last < CIRCUIT_START_MEMO_MS) return false;
    if (circuitsStarted.size >= 10_000) circuitsStarted.clear();
    circuitsStarted.set(target.endpointId, at);
    try {
      const fresh = await circuitStarts.run(() => startCircuit(target));
      if (fresh) started++;
      return fresh;
    } catch (err) {
      circuitsStarted.delete(target.endpointId);
      log.error(
        { err, endpointId: target.endpointId },
        'could not start the webhook circuit workflow; the sweep will',
      );
      return false;
    }
  }

  /** Parks the delivery in its endpoint's backlog, with its held attempt when one was sent. */
  async function park(target: DeliveryTarget, report: AttemptReport, eventAt: Date) {
    const { record, posted } = report;
    await writer.park(posted ? record : null, {
      _id: `${target.endpointId}:${target.eventId}:${target.run}`,
      org_id: target.orgId,
      endpoint_id: target.endpointId,
      event_id: target.eventId,
      run: target.run,
      attempt: posted ? record.attempt + 1 : record.attempt,
      event_at: eventAt,
      parked_at: new Date(now()),
    });
    await ensureCircuit({ orgId: target.orgId, endpointId: target.endpointId });
  }

  /** Stores the attempt, parking the delivery when it was held. */
  function settle(target: DeliveryTarget, report: AttemptReport, eventAt: Date): Promise<void> {
    return report.result.outcome === 'held'
      ? park(target, report, eventAt)
      : writer.record(report.record);
  }

  /**
   * Hands a delivery to its workflow from `attempt` on, once the start throttle gives it a turn:
   * an endpoint failing everywhere at once opens its circuit within its first few failures, and
   * the deliveries still waiting here are parked instead (or skipped, the endpoint gone).
   */
  function handOff(
    target: DeliveryTarget,
    attempt: number,
    waitMs: number,
    eventAt: Date,
  ): Promise<void> {
    const queuedAt = now();
    return starts.run(async () => {
      const settled = await deliverer.precheck(target, attempt);
      if (settled) return settle(target, settled, eventAt);
      const late = now() - queuedAt;
      await retry(target, attempt, late < HAND_OFF_SLACK_MS ? waitMs : Math.max(0, waitMs - late));
    });
  }

  /**
   * An attempt of a delivery's workflow, in the endpoint's lane like first attempts, stored;
   * held while the endpoint's circuit is open (the workflow then ends, its delivery parked).
   */
  async function attemptRetry(
    input: WebhookDeliveryInput,
    attempt: number,
    retryDelayMs: number | null,
  ): Promise<WebhookAttemptResult> {
    const report =
      (await deliverer.precheck(input, attempt)) ??
      (await lanes.run(input.endpointId, () => deliverer.attempt(input, attempt, retryDelayMs)));
    if (report.result.outcome === 'held') {
      const claim = await store.webhookDeliveries.dispatch(input.eventId);
      await park(input, report, claim?.created_at ?? new Date(now()));
    } else {
      await writer.record(report.record);
    }
    return report.result;
  }

  /** Workflows (retries and circuits) this process started so far. */
  const startedSoFar = () => started;

  return { retry, ensureCircuit, settle, handOff, attemptRetry, started: startedSoFar };
}

export type HandOff = ReturnType<typeof createHandOff>;

import type { Store } from '../store';
import type { AttemptSummary } from '../store/contract/webhooks';
import type { EventDoc, WebhookDispatchDoc } from '../store/documents';
import {
  WEBHOOK_RETRY_DELAYS_MS,
  type WebhookAttemptResult,
  type WebhookDeliveryInput,
} from '../workflows/contracts/webhook-delivery';
import type { AttemptReport, Deliverer, DeliveryTarget } from './deliverer';
import type { EndpointDirectory } from './endpoint-directory';
import { attemptWriter } from './attempt-writer';
import { createCircuit } from './circuit';
import { EndpointLanes } from './endpoint-lanes';
import { subscribesTo } from './event-types';
import { webhookBody } from './signing';
import { Throttle } from './throttle';

export interface DispatcherLog {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

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

/** The endpoint whose circuit workflow is to run. */
export interface CircuitTarget {
  orgId: string;
  endpointId: string;
}

export interface RecoverResult {
  /** Deliveries of events never claimed, made now. */
  dispatched: number;
  /** Retry workflows started. */
  resumed: number;
  /** Deliveries parked for an open circuit. */
  parked: number;
  /** Deliveries to deleted or disabled endpoints, recorded as skipped. */
  skipped: number;
  /** Circuit workflows started for backlogs nothing was releasing. */
  circuits: number;
  /** Where the next sweep may start: everything before it is done. */
  through: Date;
}

/** A circuit started by this process is not started again from here for this long. */
const CIRCUIT_START_MEMO_MS = 10_000;
/** A circuit whose probe is this late is presumed gone, and the sweep starts it again. */
const CIRCUIT_STALE_MS = 60_000;
/** Unclaimed events the sweep dispatches at once. */
const SWEEP_EVENT_CHUNK = 100;
/** Claims whose deliveries the sweep looks at together (one backlog lookup for them). */
const SWEEP_DISPATCH_CHUNK = 200;
/** A hand-off that waited less than this for its turn keeps its full wait. */
const HAND_OFF_SLACK_MS = 1_000;

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
 */
export function createWebhookDispatcher(deps: {
  store: Store;
  directory: EndpointDirectory;
  deliverer: Deliverer;
  /** Starts the delivery's workflow; false when one was already started under that ID. */
  startWorkflow: (input: WebhookDeliveryInput) => Promise<boolean>;
  /** Starts the endpoint's circuit workflow; false when it is running. */
  startCircuit?: (target: CircuitTarget) => Promise<boolean>;
  log: DispatcherLog;
  options?: DispatcherOptions;
  now?: () => number;
}) {
  const { store, directory, deliverer, startWorkflow, startCircuit, log } = deps;
  const now = deps.now ?? Date.now;
  const maxQueue = deps.options?.maxQueue ?? 20_000;
  const batchSize = deps.options?.batchSize ?? 250;
  const concurrency = deps.options?.concurrency ?? 4;
  const overdueMs = deps.options?.overdueMs ?? 30_000;
  const maxPending = deps.options?.maxPending ?? 10_000;
  const recoverMaxStarts = deps.options?.recoverMaxStarts ?? 200;
  const recoverMaxDeliveries = deps.options?.recoverMaxDeliveries ?? 5_000;
  const lanes = new EndpointLanes(
    deps.options?.perEndpoint ?? 64,
    deps.options?.maxLaneWaitMs ?? 5_000,
    now,
  );
  const writer = attemptWriter(store);
  const starts = new Throttle(deps.options?.retryStartsPerSecond ?? 50);
  // Apart: a retry's hand-off may wait for its endpoint's circuit to start.
  const circuitStarts = new Throttle(deps.options?.circuitStartsPerSecond ?? 20);
  const circuit = createCircuit({ store, directory, deliverer, writer, now });

  const queue: EventDoc[] = [];
  let running = 0;
  let pending = 0;
  let scheduled = false;
  let dropped = 0;
  let started = 0;
  const idle: (() => void)[] = [];
  const circuitsStarted = new Map<string, number>();

  async function fanOut(events: EventDoc[]): Promise<WebhookDispatchDoc[]> {
    const at = new Date(now());
    const dispatches: WebhookDispatchDoc[] = [];
    for (const event of events) {
      const endpoints = (await directory.forOrg(event.org_id)).filter(
        (e) =>
          e.status !== 'disabled' &&
          e.createdAt <= event.created_at &&
          subscribesTo(e.events, event.type),
      );
      if (!endpoints.length) continue;
      dispatches.push({
        _id: event._id,
        org_id: event.org_id,
        event_type: event.type,
        body: webhookBody(event),
        endpoint_ids: endpoints.map((e) => e.id),
        created_at: at,
      });
    }
    return dispatches;
  }

  const targetsOf = (d: WebhookDispatchDoc): DeliveryTarget[] =>
    d.endpoint_ids.map((endpointId) => ({
      orgId: d.org_id,
      endpointId,
      eventId: d._id,
      eventType: d.event_type,
      body: d.body,
      run: 0,
    }));

  async function retry(target: DeliveryTarget, attempt: number, waitMs: number) {
    try {
      const fresh = await startWorkflow({ ...target, attempt, waitMs });
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

  /** Stores the attempt, parking the delivery when it was held. */
  function settle(target: DeliveryTarget, report: AttemptReport, eventAt: Date): Promise<void> {
    return report.result.outcome === 'held'
      ? park(target, report, eventAt)
      : writer.record(report.record);
  }

  /**
   * A claimed delivery's first attempt, in its endpoint's lane, stored with the attempts that
   * finish alongside it; a failure continues in the delivery's workflow, or waits in the
   * endpoint's backlog while its circuit is open. An endpoint that is not keeping up gets the
   * workflow at once. Null when no attempt was made here.
   */
  async function deliver(
    target: DeliveryTarget,
    eventAt: Date,
    hold = true,
  ): Promise<AttemptReport | null> {
    pending++;
    try {
      const settled = hold ? await deliverer.precheck(target, 1) : null;
      if (settled) {
        await settle(target, settled, eventAt);
        return settled;
      }
      if (lanes.stuck(target.endpointId)) {
        await handOff(target, 1, 0, eventAt);
        return null;
      }
      const report = await lanes.run(target.endpointId, () =>
        deliverer.attempt(target, 1, WEBHOOK_RETRY_DELAYS_MS[0], { hold }),
      );
      await settle(target, report, eventAt);
      const wait = report.result.nextWaitMs;
      if (wait !== null) await handOff(target, 2, wait, eventAt);
      return report;
    } finally {
      pending--;
      settledOne();
    }
  }

  const deliverAll = (dispatches: WebhookDispatchDoc[], hold = true) =>
    dispatches.flatMap((d) => targetsOf(d).map((t) => deliver(t, d.created_at, hold)));

  /** Claims the dispatches; returns those this call claimed. */
  async function claim(dispatches: WebhookDispatchDoc[]): Promise<WebhookDispatchDoc[]> {
    const claimed = await store.webhookDeliveries.claim(dispatches);
    return dispatches.filter((d) => claimed.has(d._id));
  }

  /**
   * Claims and delivers a test event, waiting for its first attempt: sent even to a failing
   * endpoint, whose success closes the circuit.
   */
  async function claimAndDeliver(dispatches: WebhookDispatchDoc[]): Promise<AttemptReport[]> {
    const reports = await Promise.all(deliverAll(await claim(dispatches), false));
    return reports.filter((r) => r !== null);
  }

  async function dispatch(events: EventDoc[]): Promise<number> {
    const deliveries = deliverAll(await claim(await fanOut(events)));
    await Promise.all(deliveries);
    return deliveries.length;
  }

  const logFailure = (err: unknown) =>
    log.error({ err }, 'webhook delivery failed; the sweep will resume it');

  /** A batch holds its slot only while it is claimed: its POSTs go on in their lanes. */
  async function takeBatch(batch: EventDoc[]): Promise<void> {
    for (const delivery of deliverAll(await claim(await fanOut(batch)))) {
      delivery.catch(logFailure);
    }
  }

  function pump(): void {
    scheduled = false;
    while (running < concurrency && pending < maxPending && queue.length) {
      const batch = queue.splice(0, batchSize);
      running++;
      takeBatch(batch)
        .catch(logFailure)
        .finally(() => {
          running--;
          settledOne();
        });
    }
  }

  function settledOne(): void {
    if (queue.length) schedule();
    else if (!running && !pending) for (const resolve of idle.splice(0)) resolve();
  }

  function schedule(): void {
    if (scheduled) return;
    scheduled = true;
    // Let the events recorded in this turn of the loop join one batch.
    setImmediate(pump);
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

  /** What the sweep may still do in this run; every workflow this process starts counts. */
  class Budget {
    private readonly startedBefore = started;
    deliveries = recoverMaxDeliveries;
    get starts(): number {
      return recoverMaxStarts - (started - this.startedBefore);
    }
    get spent(): boolean {
      return this.starts <= 0 || this.deliveries <= 0;
    }
  }

  /**
   * Resumes a claimed delivery the sweep found cut off, at `attempt`: skipped when its
   * endpoint is deleted or disabled, parked while its circuit is open, otherwise its workflow.
   * False when the budget left no room to start it.
   */
  async function resume(
    target: DeliveryTarget,
    attempt: number,
    eventAt: Date,
    budget: Budget,
    counts: { resumed: number; parked: number; skipped: number },
  ): Promise<boolean> {
    const settled = await deliverer.precheck(target, attempt);
    if (settled) {
      budget.deliveries--;
      await settle(target, settled, eventAt);
      if (settled.result.outcome === 'held') counts.parked++;
      else counts.skipped++;
      return true;
    }
    if (budget.starts <= 0) return false;
    budget.deliveries--;
    if (await retry(target, attempt, 0)) counts.resumed++;
    return true;
  }

  /**
   * Backlogs nothing is releasing: those of deleted or disabled endpoints end skipped at once;
   * for the others, whose circuit's probe is long overdue, the circuit starts again.
   */
  async function sweepBacklogs(budget: Budget): Promise<{ skipped: number; circuits: number }> {
    let skipped = 0;
    let circuits = 0;
    for (const { endpoint_id, org_id } of await store.webhookBacklog.endpoints(1_000)) {
      if (budget.spent) break;
      const endpoint = await directory.find(org_id, endpoint_id);
      const target = { orgId: org_id, endpointId: endpoint_id };
      if (!endpoint || endpoint.status === 'disabled') {
        const { ended } = await circuit.end(target, 'skipped', 5_000);
        budget.deliveries -= ended;
        skipped += ended;
        continue;
      }
      const probeAt = endpoint.nextProbeAt?.getTime() ?? null;
      if (probeAt !== null && probeAt > now() - CIRCUIT_STALE_MS) continue;
      if (await ensureCircuit(target)) circuits++;
    }
    return { skipped, circuits };
  }

  return {
    /** Takes newly recorded events; returns at once. */
    enqueue(events: EventDoc[]): void {
      const room = maxQueue - queue.length;
      if (room < events.length) {
        dropped += events.length - Math.max(room, 0);
        log.warn({ dropped }, 'webhook queue full; the sweep will deliver the overflow');
      }
      if (room > 0) queue.push(...events.slice(0, room));
      if (queue.length) schedule();
    },

    /** Resolves once every enqueued event has been dispatched and its attempts stored. */
    drain(): Promise<void> {
      if (!queue.length && !running && !pending) return Promise.resolve();
      return new Promise((resolve) => idle.push(resolve));
    },

    /** Dispatches events given directly, waiting for their first attempts. */
    dispatch,

    /** Delivers one prepared dispatch (a test event), returning its first attempts. */
    claimAndDeliver,

    attemptRetry,

    /** The circuit workflow's operations (its activities). */
    circuit,

    /**
     * Resumes what a crash or a full queue interrupted, looking at what was recorded between
     * `from` and `overdueMs` ago: events never claimed are dispatched now; claimed deliveries
     * without an attempt, and first attempts whose retry is overdue, go to their workflow
     * (started once: a running or finished one is left alone), or to their endpoint's backlog
     * while its circuit is open, or are recorded skipped when their endpoint is deleted or
     * disabled. Backlogs nothing releases get their circuit again. A run does at most
     * `recoverMaxStarts` workflow starts and `recoverMaxDeliveries` deliveries; `through`
     * stops before the first thing it left.
     */
    async recover(from: Date, pageSize = 2_000): Promise<RecoverResult> {
      const until = new Date(now() - overdueMs);
      let through = until;
      const budget = new Budget();
      const dispatches = (await store.webhookDeliveries.dispatchesSince(from)).sort(
        (a, b) => a.created_at.getTime() - b.created_at.getTime(),
      );
      const claimed = new Set(dispatches.map((d) => d._id));

      let dispatched = 0;
      events: for (let after: EventDoc | undefined; ;) {
        const page = await store.events.recordedBetween(from, until, pageSize, after);
        const unclaimed = page.filter((e) => !claimed.has(e._id));
        for (let i = 0; i < unclaimed.length; i += SWEEP_EVENT_CHUNK) {
          if (budget.spent) {
            through = unclaimed[i]!.created_at;
            break events;
          }
          const made = await dispatch(unclaimed.slice(i, i + SWEEP_EVENT_CHUNK));
          dispatched += made;
          budget.deliveries -= made;
        }
        if (page.length < pageSize) break;
        after = page.at(-1);
      }

      const latest = new Map<string, AttemptSummary>();
      for (const a of await store.webhookDeliveries.attemptsSince(from)) {
        if (a.run !== 0) continue;
        const key = `${a.endpoint_id}:${a.event_id}`;
        const seen = latest.get(key);
        if (!seen || seen.attempt < a.attempt) latest.set(key, a);
      }
      const counts = { resumed: 0, parked: 0, skipped: 0 };
      const due = dispatches.filter((d) => d.created_at <= until);
      deliveries: for (let i = 0; i < due.length; i += SWEEP_DISPATCH_CHUNK) {
        const cut: { target: DeliveryTarget; attempt: number; eventAt: Date }[] = [];
        for (const d of due.slice(i, i + SWEEP_DISPATCH_CHUNK)) {
          for (const target of targetsOf(d)) {
            const last = latest.get(`${target.endpointId}:${target.eventId}`);
            const overdueRetry =
              last?.attempt === 1 &&
              last.outcome === 'retrying' &&
              (last.next_attempt_at?.getTime() ?? 0) < until.getTime();
            if (!last || overdueRetry)
              cut.push({ target, attempt: last ? 2 : 1, eventAt: d.created_at });
          }
        }
        // Parked without an attempt: their endpoint's circuit has them.
        const parked = new Set(
          (
            await store.webhookBacklog.parkedAmong(
              cut.map(({ target: t }) => `${t.endpointId}:${t.eventId}:0`),
            )
          ).map((p) => `${p.endpoint_id}:${p.event_id}`),
        );
        for (const { target, attempt, eventAt } of cut) {
          if (parked.has(`${target.endpointId}:${target.eventId}`)) continue;
          if (budget.deliveries <= 0 || !(await resume(target, attempt, eventAt, budget, counts))) {
            if (eventAt < through) through = eventAt;
            break deliveries;
          }
        }
      }

      const backlogs = await sweepBacklogs(budget);
      return {
        dispatched,
        ...counts,
        skipped: counts.skipped + backlogs.skipped,
        circuits: backlogs.circuits,
        through,
      };
    },
  };
}

export type WebhookDispatcher = ReturnType<typeof createWebhookDispatcher>;

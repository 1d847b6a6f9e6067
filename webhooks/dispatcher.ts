import type { Store } from '../store';
import type { EventDoc, WebhookAttemptDoc, WebhookDispatchDoc } from '../store/documents';
import { WEBHOOK_RETRY_DELAYS_MS, type WebhookDeliveryInput } from '../workflows/definitions';
import type { AttemptReport, Deliverer, DeliveryTarget } from './deliverer';
import type { EndpointDirectory } from './endpoint-directory';
import { attemptWriter } from './attempt-writer';
import { EndpointLanes } from './endpoint-lanes';
import { subscribesTo } from './event-types';
import { webhookBody } from './signing';

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
  /** First attempts in flight to one endpoint; its next ones wait their turn. */
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
}

/**
 * Fans recorded events out to the endpoints subscribed to them, at most once per endpoint and
 * event, and makes each delivery's first attempt at once. A delivery that needs retrying is
 * handed to its Temporal workflow (`webhook:<endpointId>:<eventId>`), which keeps the exact
 * schedule across restarts. Successful first attempts, the usual case, cost the workflow
 * engine nothing.
 *
 * Durability: the event is stored before it gets here; a claim (one dispatch document per
 * event, unique by event id) is stored before any POST; every attempt is stored. What a crash
 * interrupts, `recover()` finds by comparing the three and resumes through the workflow.
 */
export function createWebhookDispatcher(deps: {
  store: Store;
  directory: EndpointDirectory;
  deliverer: Deliverer;
  /** Starts the delivery's workflow; false when one was already started under that ID. */
  startWorkflow: (input: WebhookDeliveryInput) => Promise<boolean>;
  log: DispatcherLog;
  options?: DispatcherOptions;
  now?: () => number;
}) {
  const { store, directory, deliverer, startWorkflow, log } = deps;
  const now = deps.now ?? Date.now;
  const maxQueue = deps.options?.maxQueue ?? 20_000;
  const batchSize = deps.options?.batchSize ?? 250;
  const concurrency = deps.options?.concurrency ?? 4;
  const overdueMs = deps.options?.overdueMs ?? 30_000;
  const maxPending = deps.options?.maxPending ?? 10_000;
  const lanes = new EndpointLanes(
    deps.options?.perEndpoint ?? 64,
    deps.options?.maxLaneWaitMs ?? 5_000,
    now,
  );
  const writer = attemptWriter(store);

  const queue: EventDoc[] = [];
  let running = 0;
  let pending = 0;
  let scheduled = false;
  let dropped = 0;
  const idle: (() => void)[] = [];

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
      return await startWorkflow({ ...target, attempt, waitMs });
    } catch (err) {
      log.error(
        { err, endpointId: target.endpointId, eventId: target.eventId },
        'could not start the webhook retry workflow; the sweep will',
      );
      return false;
    }
  }

  /**
   * A claimed delivery's first attempt, in its endpoint's lane, stored with the attempts that
   * finish alongside it; a failure continues in the delivery's workflow. An endpoint that is not
   * keeping up gets the workflow at once. Null when no attempt was made here.
   */
  async function deliver(target: DeliveryTarget): Promise<AttemptReport | null> {
    if (lanes.stuck(target.endpointId)) {
      await retry(target, 1, 0);
      return null;
    }
    pending++;
    try {
      const report = await lanes.run(target.endpointId, () =>
        deliverer.attempt(target, 1, WEBHOOK_RETRY_DELAYS_MS[0]),
      );
      await writer.record(report.record);
      const wait = report.result.nextWaitMs;
      if (wait !== null) await retry(target, 2, wait);
      return report;
    } finally {
      pending--;
      settled();
    }
  }

  /** Claims the dispatches; returns the deliveries this call claimed. */
  async function claim(dispatches: WebhookDispatchDoc[]): Promise<DeliveryTarget[]> {
    const claimed = await store.webhookDeliveries.claim(dispatches);
    return dispatches.filter((d) => claimed.has(d._id)).flatMap(targetsOf);
  }

  /** Claims and delivers, waiting for the first attempts. */
  async function claimAndDeliver(dispatches: WebhookDispatchDoc[]): Promise<AttemptReport[]> {
    const reports = await Promise.all((await claim(dispatches)).map(deliver));
    return reports.filter((r) => r !== null);
  }

  async function dispatch(events: EventDoc[]): Promise<number> {
    const targets = await claim(await fanOut(events));
    await Promise.all(targets.map(deliver));
    return targets.length;
  }

  const logFailure = (err: unknown) =>
    log.error({ err }, 'webhook delivery failed; the sweep will resume it');

  /** A batch holds its slot only while it is claimed: its POSTs go on in their lanes. */
  async function takeBatch(batch: EventDoc[]): Promise<void> {
    for (const target of await claim(await fanOut(batch))) deliver(target).catch(logFailure);
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
          settled();
        });
    }
  }

  function settled(): void {
    if (queue.length) schedule();
    else if (!running && !pending) for (const resolve of idle.splice(0)) resolve();
  }

  function schedule(): void {
    if (scheduled) return;
    scheduled = true;
    // Let the events recorded in this turn of the loop join one batch.
    setImmediate(pump);
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

    /**
     * Resumes what a crash or a full queue interrupted, looking at what was recorded between
     * `from` and `overdueMs` ago: events never claimed are dispatched now; claimed deliveries
     * without an attempt, and first attempts whose retry is overdue, go to their workflow
     * (started once: a running or finished one is left alone).
     */
    async recover(
      from: Date,
      pageSize = 2_000,
    ): Promise<{ dispatched: number; resumed: number; through: Date }> {
      const until = new Date(now() - overdueMs);
      const dispatches = await store.webhookDeliveries.dispatchesSince(from);
      const claimed = new Set(dispatches.map((d) => d._id));
      let dispatched = 0;
      for (let after: EventDoc | undefined; ;) {
        const page = await store.events.recordedBetween(from, until, pageSize, after);
        dispatched += await dispatch(page.filter((e) => !claimed.has(e._id)));
        if (page.length < pageSize) break;
        after = page.at(-1);
      }

      const latest = new Map<string, WebhookAttemptDoc>();
      for (const a of await store.webhookDeliveries.attemptsSince(from)) {
        if (a.run !== 0) continue;
        const key = `${a.endpoint_id}:${a.event_id}`;
        const seen = latest.get(key);
        if (!seen || seen.attempt < a.attempt) latest.set(key, a);
      }
      let resumed = 0;
      for (const d of dispatches) {
        if (d.created_at > until) continue;
        for (const target of targetsOf(d)) {
          const last = latest.get(`${target.endpointId}:${target.eventId}`);
          const overdueRetry =
            last?.attempt === 1 &&
            last.outcome === 'retrying' &&
            (last.next_attempt_at?.getTime() ?? 0) < until.getTime();
          if (!last || overdueRetry) {
            if (await retry(target, last ? 2 : 1, 0)) resumed++;
          }
        }
      }
      return { dispatched, resumed, through: until };
    },
  };
}

export type WebhookDispatcher = ReturnType<typeof createWebhookDispatcher>;

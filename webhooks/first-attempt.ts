import type { Store } from '../store';
import type { EventDoc, WebhookDispatchDoc } from '../store/documents';
import type { AttemptReport, Deliverer, DeliveryTarget } from './deliverer';
import type { EndpointDirectory } from './endpoint-directory';
import type { EndpointLanes } from './endpoint-lanes';
import { claim, fanOut, targetsOf } from './fan-out';
import type { DispatcherLog, HandOff } from './hand-off';

/**
 * Recorded events' first attempts, made at once in this process: events queue in memory (up
 * to `maxQueue`; the overflow is stored already, and left to the sweep), are fanned out and
 * claimed in batches, and each delivery's first attempt runs in its endpoint's lane. A failure
 * continues in the delivery's workflow, or waits in the endpoint's backlog while its circuit
 * is open.
 */
export function createFirstAttempts(deps: {
  store: Store;
  directory: EndpointDirectory;
  deliverer: Deliverer;
  lanes: EndpointLanes;
  handOff: HandOff;
  /** The first retry's wait, should the first attempt fail. */
  firstRetryDelayMs: number | null;
  maxQueue: number;
  batchSize: number;
  /** Batches fanned out (claimed) at once. */
  concurrency: number;
  /** Claimed deliveries not yet attempted and stored; beyond, no new batch is taken. */
  maxPending: number;
  log: DispatcherLog;
  now: () => number;
}) {
  const { store, directory, deliverer, lanes, handOff, firstRetryDelayMs, log, now } = deps;
  const { maxQueue, batchSize, concurrency, maxPending } = deps;

  const queue: EventDoc[] = [];
  let running = 0;
  let pending = 0;
  let scheduled = false;
  let dropped = 0;
  const idle: (() => void)[] = [];

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
        await handOff.settle(target, settled, eventAt);
        return settled;
      }
      if (lanes.stuck(target.endpointId)) {
        await handOff.handOff(target, 1, 0, eventAt);
        return null;
      }
      const report = await lanes.run(target.endpointId, () =>
        deliverer.attempt(target, 1, firstRetryDelayMs, { hold }),
      );
      await handOff.settle(target, report, eventAt);
      const wait = report.result.nextWaitMs;
      if (wait !== null) await handOff.handOff(target, 2, wait, eventAt);
      return report;
    } finally {
      pending--;
      settledOne();
    }
  }

  const deliverAll = (dispatches: WebhookDispatchDoc[], hold = true) =>
    dispatches.flatMap((d) => targetsOf(d).map((t) => deliver(t, d.created_at, hold)));

  const claimed = async (events: EventDoc[]) =>
    claim(store, await fanOut(directory, events, new Date(now())));

  const logFailure = (err: unknown) =>
    log.error({ err }, 'webhook delivery failed; the sweep will resume it');

  /** A batch holds its slot only while it is claimed: its POSTs go on in their lanes. */
  async function takeBatch(batch: EventDoc[]): Promise<void> {
    for (const delivery of deliverAll(await claimed(batch))) {
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

  /** Takes newly recorded events; returns at once. */
  function enqueue(events: EventDoc[]): void {
    const room = maxQueue - queue.length;
    if (room < events.length) {
      dropped += events.length - Math.max(room, 0);
      log.warn({ dropped }, 'webhook queue full; the sweep will deliver the overflow');
    }
    if (room > 0) queue.push(...events.slice(0, room));
    if (queue.length) schedule();
  }

  /** Resolves once every enqueued event has been dispatched and its attempts stored. */
  function drain(): Promise<void> {
    if (!queue.length && !running && !pending) return Promise.resolve();
    return new Promise((resolve) => idle.push(resolve));
  }

  /** Dispatches events given directly, waiting for their first attempts. */
  async function dispatch(events: EventDoc[]): Promise<number> {
    const deliveries = deliverAll(await claimed(events));
    await Promise.all(deliveries);
    return deliveries.length;
  }

  /**
   * Claims and delivers a test event, waiting for its first attempt: sent even to a failing
   * endpoint, whose success closes the circuit.
   */
  async function claimAndDeliver(dispatches: WebhookDispatchDoc[]): Promise<AttemptReport[]> {
    const reports = await Promise.all(deliverAll(await claim(store, dispatches), false));
    return reports.filter((r) => r !== null);
  }

  return { enqueue, drain, dispatch, claimAndDeliver };
}

export type FirstAttempts = ReturnType<typeof createFirstAttempts>;

import type { Store } from '../store';
import type { AttemptSummary } from '../store/contract/webhooks';
import type { EventDoc } from '../store/documents';
import type { Circuit } from './circuit';
import type { Deliverer, DeliveryTarget } from './deliverer';
import type { EndpointDirectory } from './endpoint-directory';
import { targetsOf } from './fan-out';
import type { HandOff } from './hand-off';

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

/** A circuit whose probe is this late is presumed gone, and the sweep starts it again. */
const CIRCUIT_STALE_MS = 60_000;
/** Unclaimed events the sweep dispatches at once. */
const SWEEP_EVENT_CHUNK = 100;
/** Claims whose deliveries the sweep looks at together (one backlog lookup for them). */
const SWEEP_DISPATCH_CHUNK = 200;

/** The sweep that resumes what a crash or a full queue interrupted (see `recover`). */
export function createRecovery(deps: {
  store: Store;
  directory: EndpointDirectory;
  deliverer: Deliverer;
  circuit: Pick<Circuit, 'end'>;
  handOff: HandOff;
  /** Dispatches events never claimed, waiting for their first attempts. */
  dispatch: (events: EventDoc[]) => Promise<number>;
  /** An event, or a delivery's next attempt, this late is the sweep's to resume. */
  overdueMs: number;
  /** Workflows one sweep may start (retries and circuits); the rest wait for the next sweep. */
  maxStarts: number;
  /** Deliveries one sweep may dispatch, resume, park or skip. */
  maxDeliveries: number;
  now: () => number;
}) {
  const { store, directory, deliverer, circuit, handOff, dispatch, overdueMs, now } = deps;

  /** What the sweep may still do in this run; every workflow this process starts counts. */
  class Budget {
    private readonly startedBefore = handOff.started();
    deliveries = deps.maxDeliveries;
    get starts(): number {
      return deps.maxStarts - (handOff.started() - this.startedBefore);
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
      await handOff.settle(target, settled, eventAt);
      if (settled.result.outcome === 'held') counts.parked++;
      else counts.skipped++;
      return true;
    }
    if (budget.starts <= 0) return false;
    budget.deliveries--;
    if (await handOff.retry(target, attempt, 0)) counts.resumed++;
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
      if (await handOff.ensureCircuit(target)) circuits++;
    }
    return { skipped, circuits };
  }

  /**
   * Resumes what a crash or a full queue interrupted, looking at what was recorded between
   * `from` and `overdueMs` ago: events never claimed are dispatched now; claimed deliveries
   * without an attempt, and first attempts whose retry is overdue, go to their workflow
   * (started once: a running or finished one is left alone), or to their endpoint's backlog
   * while its circuit is open, or are recorded skipped when their endpoint is deleted or
   * disabled. Backlogs nothing releases get their circuit again. A run does at most
   * `maxStarts` workflow starts and `maxDeliveries` deliveries; `through` stops before the
   * first thing it left.
   */
  return async function recover(from: Date, pageSize = 2_000): Promise<RecoverResult> {
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
  };
}

import type { Store } from '../store';
import type { ParkedDelivery } from '../store/contract/webhooks';
import type { WebhookEndpointStatus } from '../store/documents';
import { endedWithoutPost } from '../store/webhook-endpoints';
import type { WebhookCircuitInput } from '../workflows/contracts/webhook-circuit';
import type { AttemptWriter } from './attempt-writer';
import type { Deliverer } from './deliverer';
import type { EndpointDirectory } from './endpoint-directory';
import { Throttle } from './throttle';

/** The event recorded when an endpoint is disabled for failing too long. */
export const ENDPOINT_DISABLED_EVENT = 'webhook_endpoint.disabled';
/** How a disable by the circuit begins its status_reason (a manual disable has none). */
export const DISABLED_REASON_PREFIX = 'Disabled after failing for';

/** When (workflow time) an endpoint failing since `failingSince` is to be disabled. */
export interface CircuitDeadline {
  failingSince: number;
  at: number;
}

/** What the circuit workflow sees at the start of a round. */
export interface CircuitLook {
  status: WebhookEndpointStatus | 'deleted';
  /** Epoch ms; null while the circuit is closed. */
  failingSince: number | null;
  parked: number;
  /** While failing since failingSince: when it is disabled. */
  deadline: CircuitDeadline | null;
  /** How long to wait before probing (0: the deadline has come); null when not failing. */
  sleepMs: number | null;
}

/** The endpoint a circuit is for. */
export type CircuitEndpoint = Pick<WebhookCircuitInput, 'orgId' | 'endpointId'>;

/** What trying parked deliveries came to. */
export type ReleaseState =
  /** Nothing is parked any more. */
  | 'empty'
  /** The time given to this call ran out; more are parked. */
  | 'more'
  /** The endpoint failed again: back to probing. */
  | 'down'
  /** It answered 410 and is disabled. */
  | 'gone'
  /** It was deleted or disabled: nothing more is sent. */
  | 'skipped';

const PAGE = 100;
const END_PAGE = 500;
/** Backlogs ended at once by this process: an outage disables its endpoints all together. */
const ENDING_AT_ONCE = 2;

function duration(ms: number): string {
  const hours = ms / 3_600_000;
  if (hours >= 48 && Number.isInteger(hours / 24)) return `${hours / 24} days`;
  if (hours >= 1) return `${Number(hours.toFixed(2))} hours`;
  return `${Number((ms / 1000).toFixed(1))} seconds`;
}

/**
 * What an endpoint's circuit workflow does through its activities: look at the endpoint and its
 * backlog, probe with the longest-waiting delivery, release the backlog oldest event first,
 * and disable the endpoint once it has failed too long. Every step is safe to repeat.
 */
export function createCircuit(deps: {
  store: Store;
  directory: EndpointDirectory;
  deliverer: Deliverer;
  writer: AttemptWriter;
  now?: () => number;
}) {
  const { store, directory, deliverer, writer } = deps;
  const now = deps.now ?? Date.now;
  const ending = new Throttle(Infinity, ENDING_AT_ONCE);

  /** Tries one parked delivery; `delivered` and `held` are the endpoint's answer. */
  async function tryOne(
    input: CircuitEndpoint,
    row: ParkedDelivery,
    nextProbeAt: Date | null,
  ): Promise<'delivered' | 'held' | 'gone' | 'skipped' | 'lost'> {
    if (row.body === null || row.event_type === null) {
      await writer.record(
        endedWithoutPost(row, {
          outcome: 'failed',
          error: 'The delivery was purged (EVENT_RETENTION_DAYS) before the endpoint came back',
          at: new Date(now()),
        }),
      );
      await store.webhookBacklog.remove([row._id]);
      return 'lost';
    }
    const target = {
      orgId: input.orgId,
      endpointId: row.endpoint_id,
      eventId: row.event_id,
      eventType: row.event_type,
      body: row.body,
      run: row.run,
    };
    const { record, result } = await deliverer.probe(target, row.attempt, nextProbeAt);
    await writer.record(record);
    if (result.outcome === 'held') {
      await store.webhookBacklog.setAttempt(row._id, row.attempt + 1);
      return 'held';
    }
    await store.webhookBacklog.remove([row._id]);
    return result.outcome === 'delivered'
      ? 'delivered'
      : result.outcome === 'gone'
        ? 'gone'
        : 'skipped';
  }

  return {
    /**
     * Looks at the endpoint and its backlog at `at` (the workflow's time) and, while it is
     * failing, schedules the next probe `waitMs` later, never past the deadline. The deadline is
     * counted on the workflow's clock from how long the endpoint has failed by this one, once
     * for each failingSince (`known` carries it from the previous round).
     */
    async look(
      input: CircuitEndpoint & { disableAfterMs: number },
      at: number,
      waitMs: number,
      known: CircuitDeadline | null,
    ): Promise<CircuitLook> {
      // Decided on the stored endpoint; the probe sends with the cached URL and secret, which
      // every delivery may find up to WEBHOOK_ENDPOINT_CACHE_MS old.
      const endpoint = await store.webhookEndpoints.get(input.orgId, input.endpointId);
      const failingSince = endpoint?.failing_since?.getTime() ?? null;
      const parked = await store.webhookBacklog.count(input.endpointId);
      const look: CircuitLook = {
        status: endpoint?.status ?? 'deleted',
        failingSince,
        parked,
        deadline: null,
        sleepMs: null,
      };
      if (look.status !== 'failing' || failingSince === null) return look;
      look.deadline =
        known?.failingSince === failingSince
          ? known
          : {
              failingSince,
              at: at + input.disableAfterMs - Math.max(0, now() - failingSince),
            };
      look.sleepMs = Math.max(0, Math.min(waitMs, look.deadline.at - at));
      await store.webhookEndpoints.setNextProbe(
        input.endpointId,
        parked && look.sleepMs ? new Date(at + look.sleepMs) : null,
      );
      return look;
    },

    /** Tries the longest-waiting delivery; a failure's record names `nextProbeAt`. */
    async probe(
      input: CircuitEndpoint,
      nextProbeAt: number,
    ): Promise<'up' | 'down' | 'gone' | 'skipped' | 'empty'> {
      for (;;) {
        const [row] = await store.webhookBacklog.oldest(input.endpointId, 1);
        if (!row) return 'empty';
        const tried = await tryOne(input, row, new Date(nextProbeAt));
        if (tried === 'lost') continue;
        return tried === 'delivered' ? 'up' : tried === 'held' ? 'down' : tried;
      }
    },

    /**
     * Sends parked deliveries one at a time, oldest event first, so they arrive in order;
     * stops at the first failure, or after `maxMs` with more to go.
     */
    async release(
      input: CircuitEndpoint,
      nextProbeAt: number,
      maxMs = 60_000,
    ): Promise<{ released: number; state: ReleaseState }> {
      const until = now() + maxMs;
      let released = 0;
      for (;;) {
        const page = await store.webhookBacklog.oldest(input.endpointId, PAGE);
        if (!page.length) return { released, state: 'empty' };
        for (const row of page) {
          const tried = await tryOne(input, row, new Date(nextProbeAt));
          if (tried === 'held') {
            // Another process may have closed the circuit (a success there): open it again,
            // or the workflow would go on sending instead of probing.
            await store.webhookEndpoints.openCircuit(
              input.endpointId,
              new Date(now()),
              `Failed again while its backlog was being sent, at event ${row.event_id}`,
            );
            directory.invalidate(input.orgId);
            return { released, state: 'down' };
          }
          if (tried === 'gone' || tried === 'skipped') return { released, state: tried };
          if (tried === 'delivered') released++;
          if (now() > until) return { released, state: 'more' };
        }
      }
    },

    /** The backlog has been released: the endpoint is active again. */
    async close(input: CircuitEndpoint): Promise<boolean> {
      const closed = await store.webhookEndpoints.setStatus(
        input.endpointId,
        'failing',
        'active',
        null,
      );
      directory.invalidate(input.orgId);
      return closed;
    },

    /**
     * Disables an endpoint whose circuit opened at `failingSince` and has stayed open for
     * `input.disableAfterMs`, and records `webhook_endpoint.disabled` once. `failing`: it
     * answered or changed meanwhile, and nothing was done.
     */
    async disable(
      input: WebhookCircuitInput,
      failingSince: number,
    ): Promise<'disabled' | 'disabled_by_hand' | 'deleted' | 'failing'> {
      const since = new Date(failingSince);
      const reason =
        `${DISABLED_REASON_PREFIX} ${duration(input.disableAfterMs)} since ` +
        `${since.toISOString()} (WEBHOOK_DISABLE_AFTER_HOURS); enable it to receive events again`;
      const before = await store.webhookEndpoints.get(input.orgId, input.endpointId);
      if (before?.status === 'failing' && before.failing_since?.getTime() === failingSince) {
        await store.webhookEndpoints.setStatus(input.endpointId, 'failing', 'disabled', reason);
        directory.invalidate(input.orgId);
      }
      const after = await store.webhookEndpoints.get(input.orgId, input.endpointId);
      if (!after) return 'deleted';
      if (after.status !== 'disabled') return 'failing';
      if (after.status_reason !== reason) return 'disabled_by_hand';
      await store.events.record(
        input.orgId,
        `${ENDPOINT_DISABLED_EVENT}:${input.endpointId}:${failingSince}`,
        ENDPOINT_DISABLED_EVENT,
        {
          id: after._id,
          name: after.name,
          url: after.url,
          status: after.status,
          status_reason: after.status_reason,
          failing_since: since.toISOString(),
          failing_reason: before?.status === 'failing' ? before.status_reason : null,
        },
        after.updated_at,
      );
      return 'disabled';
    },

    /**
     * Ends parked deliveries without sending them: `failed` when the endpoint was disabled for
     * failing, `skipped` when deleted or disabled by hand. Returns whether any are left (the
     * time given ran out).
     */
    async end(
      input: CircuitEndpoint,
      outcome: 'failed' | 'skipped',
      maxMs = 60_000,
    ): Promise<{ ended: number; more: boolean }> {
      const until = now() + maxMs;
      const error =
        outcome === 'failed'
          ? 'The endpoint was disabled after failing too long'
          : 'The endpoint was deleted or disabled';
      let ended = 0;
      for (;;) {
        const n = await ending.run(() =>
          store.webhookBacklog.end(
            input.endpointId,
            { outcome, error, at: new Date(now()) },
            END_PAGE,
          ),
        );
        ended += n;
        if (n < END_PAGE) return { ended, more: false };
        if (now() > until) return { ended, more: true };
      }
    },
  };
}

export type Circuit = ReturnType<typeof createCircuit>;

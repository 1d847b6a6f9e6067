import { withFreshEventMediaUrl } from '../media/signed-url';
import type { Store } from '../store';
import type { WebhookAttemptDoc } from '../store/documents';
import type { WebhookAttemptResult } from '../workflows/contracts/webhook-delivery';
import type { EndpointDirectory, LiveEndpoint } from './endpoint-directory';
import type { WebhookHttp, WebhookResponse } from './http';
import { webhookHeaders } from './signing';

/** One event going to one endpoint. */
export interface DeliveryTarget {
  orgId: string;
  endpointId: string;
  eventId: string;
  eventType: string;
  body: string;
  run: number;
}

export interface AttemptReport {
  result: WebhookAttemptResult;
  /**
   * To be stored by the caller (alone, or with the other attempts of a batch); except a held
   * attempt that was never sent (`posted` false): the delivery's place in the backlog says it
   * all, and the number stays for the attempt that will be made.
   */
  record: WebhookAttemptDoc;
  /** Whether a POST was made. */
  posted: boolean;
}

/** Seconds or an HTTP date, as milliseconds from `now`; null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

function failureOf(res: WebhookResponse): string {
  if (res.status >= 300 && res.status < 400) {
    return `Answered ${res.status} redirecting to ${res.location ?? '(no Location)'}; redirects are not followed`;
  }
  return `Answered HTTP ${res.status}`;
}

type Fields = { status_code?: number; latency_ms?: number; error?: string | null; posted?: true };

/**
 * Makes one attempt and decides what follows it; the caller supplies the wait the schedule
 * gives before the next attempt (null after the last). A 429 or 503 with `Retry-After` may
 * bring the next attempt forward, never past the schedule.
 *
 * It also keeps each endpoint's circuit: `circuit.failures` failed attempts in a row in this
 * process (or a delivery failing its last retry) open it, and while it is open deliveries are
 * `held` for the endpoint's backlog instead of being sent or retried one by one.
 */
export function createDeliverer(deps: {
  store: Store;
  directory: EndpointDirectory;
  http: WebhookHttp;
  now?: () => number;
  circuit?: { failures: number };
  /** Told of every attempt this deliverer settles (metrics). */
  onReport?: (report: AttemptReport) => void;
  /**
   * Signs a received file's URL: each attempt of a `message.incoming` event carries one signed
   * as it is made, not the one signed when the event was recorded, which may have expired.
   */
  mediaUrl?: (orgId: string, messageId: string) => string;
}) {
  const now = deps.now ?? Date.now;
  const { store, directory, http } = deps;
  const failuresToOpen = deps.circuit?.failures ?? 5;
  /** Failed attempts in a row, per endpoint, in this process. */
  const streaks = new Map<string, number>();
  /** Circuits this process is opening: held at once, before the store and cache say so. */
  const opening = new Set<string>();

  async function changeStatus(
    endpoint: LiveEndpoint,
    to: LiveEndpoint['status'],
    reason: string | null,
    from: LiveEndpoint['status'] | LiveEndpoint['status'][] = endpoint.status,
  ) {
    if (await store.webhookEndpoints.setStatus(endpoint.id, from, to, reason)) {
      directory.invalidate(endpoint.orgId);
    }
  }

  async function openCircuit(endpoint: LiveEndpoint, reason: string): Promise<void> {
    if (opening.has(endpoint.id)) return;
    opening.add(endpoint.id);
    try {
      await store.webhookEndpoints.openCircuit(endpoint.id, new Date(now()), reason);
      directory.invalidate(endpoint.orgId);
    } finally {
      opening.delete(endpoint.id);
    }
  }

  const isOpen = (endpoint: LiveEndpoint) =>
    endpoint.failingSince !== null || opening.has(endpoint.id);

  const bodyOf = (t: DeliveryTarget) =>
    deps.mediaUrl && t.eventType === 'message.incoming'
      ? withFreshEventMediaUrl(t.body, t.orgId, deps.mediaUrl)
      : t.body;

  /** One POST, and the fields its attempt record takes from it. */
  async function post(endpoint: LiveEndpoint, t: DeliveryTarget) {
    const body = bodyOf(t);
    const headers = webhookHeaders(
      endpoint.secret,
      { id: t.eventId, type: t.eventType },
      body,
      Math.floor(now() / 1000),
    );
    let res: WebhookResponse | null = null;
    let error: string | null;
    try {
      res = await http.post(endpoint.url, body, headers);
      error = res.status >= 200 && res.status < 300 ? null : failureOf(res);
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    const fields = {
      status_code: res?.status,
      latency_ms: res?.latencyMs,
      error,
      posted: true as const,
    };
    return { res, error, fields };
  }

  function reporter(t: DeliveryTarget, attemptNo: number) {
    const at = now();
    const report = (
      outcome: WebhookAttemptResult['outcome'],
      fields: Fields,
      nextWaitMs: number | null = null,
      nextAttemptAt: Date | null = nextWaitMs === null ? null : new Date(now() + nextWaitMs),
    ): AttemptReport => ({
      posted: fields.posted === true,
      result: { outcome, nextWaitMs },
      record: {
        _id: `${t.endpointId}:${t.eventId}:${t.run}:${attemptNo}`,
        org_id: t.orgId,
        endpoint_id: t.endpointId,
        event_id: t.eventId,
        run: t.run,
        attempt: attemptNo,
        at: new Date(at),
        status_code: fields.status_code ?? null,
        latency_ms: fields.latency_ms ?? null,
        error: fields.error ?? null,
        outcome,
        next_attempt_at: nextAttemptAt,
      },
    });
    return (...args: Parameters<typeof report>): AttemptReport => {
      const made = report(...args);
      deps.onReport?.(made);
      return made;
    };
  }

  /** The endpoint to POST to, or the report that settles the attempt without a POST. */
  async function check(
    t: DeliveryTarget,
    attemptNo: number,
    hold: boolean,
  ): Promise<LiveEndpoint | AttemptReport> {
    const report = reporter(t, attemptNo);
    const endpoint = await directory.find(t.orgId, t.endpointId);
    if (!endpoint) return report('skipped', { error: 'The endpoint was deleted' });
    if (endpoint.status === 'disabled') {
      return report('skipped', { error: 'The endpoint is disabled' });
    }
    if (hold && isOpen(endpoint)) return report('held', {}, null, endpoint.nextProbeAt);
    return endpoint;
  }

  const isReport = (v: LiveEndpoint | AttemptReport): v is AttemptReport => 'record' in v;

  /**
   * Settles an attempt without a POST when it is not to be made: skipped for a deleted or
   * disabled endpoint, held while the endpoint's circuit is open. Null: make the attempt.
   */
  async function precheck(t: DeliveryTarget, attemptNo: number): Promise<AttemptReport | null> {
    const checked = await check(t, attemptNo, true);
    return isReport(checked) ? checked : null;
  }

  /**
   * `hold: false` sends even while the circuit is open (a test event: the user checking that
   * the endpoint answers again).
   */
  async function attempt(
    t: DeliveryTarget,
    attemptNo: number,
    retryDelayMs: number | null,
    { hold = true }: { hold?: boolean } = {},
  ): Promise<AttemptReport> {
    const endpoint = await check(t, attemptNo, hold);
    if (isReport(endpoint)) return endpoint;
    const report = reporter(t, attemptNo);

    const { res, error, fields } = await post(endpoint, t);
    if (!error) {
      streaks.delete(endpoint.id);
      // Also closes a circuit another process opened: the endpoint answers, and the circuit's
      // workflow, seeing it active, releases the backlog.
      if (endpoint.status === 'failing') await changeStatus(endpoint, 'active', null);
      return report('delivered', fields);
    }
    if (res?.status === 410) return gone(endpoint, t, report, fields);

    const streak = (streaks.get(endpoint.id) ?? 0) + 1;
    streaks.set(endpoint.id, streak);
    if (isOpen(endpoint)) return report('held', fields);
    if (retryDelayMs === null || streak >= failuresToOpen) {
      const why =
        retryDelayMs === null
          ? `Event ${t.eventId} failed every attempt: ${error}`
          : `${streak} attempts in a row failed, the last for event ${t.eventId}: ${error}`;
      await openCircuit(endpoint, why);
      return report(retryDelayMs === null ? 'failed' : 'held', fields);
    }
    const retryAfter =
      res && (res.status === 429 || res.status === 503)
        ? parseRetryAfter(res.retryAfter, now())
        : null;
    const wait = retryAfter === null ? retryDelayMs : Math.min(retryAfter, retryDelayMs);
    return report('retrying', fields, wait);
  }

  async function gone(
    endpoint: LiveEndpoint,
    t: DeliveryTarget,
    report: ReturnType<typeof reporter>,
    fields: Fields,
  ): Promise<AttemptReport> {
    // The cached status may be stale (another process marked it failing): any status but a
    // manual disable gives way.
    await changeStatus(endpoint, 'disabled', `Answered 410 Gone to event ${t.eventId}`, [
      'active',
      'failing',
    ]);
    return report('gone', fields);
  }

  /**
   * The circuit's attempt at a parked delivery: made although the circuit is open, and a
   * failure keeps it `held` (next attempt at `nextProbeAt`). The endpoint's status is the
   * circuit's to change, except for a 410.
   */
  async function probe(
    t: DeliveryTarget,
    attemptNo: number,
    nextProbeAt: Date | null,
  ): Promise<AttemptReport> {
    const endpoint = await check(t, attemptNo, false);
    if (isReport(endpoint)) return endpoint;
    const report = reporter(t, attemptNo);
    const { res, error, fields } = await post(endpoint, t);
    if (!error) {
      streaks.delete(endpoint.id);
      return report('delivered', fields);
    }
    if (res?.status === 410) return gone(endpoint, t, report, fields);
    return report('held', fields, null, nextProbeAt);
  }

  return { precheck, attempt, probe };
}

export type Deliverer = ReturnType<typeof createDeliverer>;

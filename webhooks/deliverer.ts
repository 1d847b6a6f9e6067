import type { Store } from '../store';
import type { WebhookAttemptDoc } from '../store/documents';
import type { WebhookAttemptResult } from '../workflows/definitions';
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
  /** To be stored by the caller (alone, or with the other attempts of a batch). */
  record: WebhookAttemptDoc;
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

/**
 * Makes one attempt and decides what follows it; the caller supplies the wait the schedule
 * gives before the next attempt (null after the last). A 429 or 503 with `Retry-After` may
 * bring the next attempt forward, never past the schedule.
 */
export function createDeliverer(deps: {
  store: Store;
  directory: EndpointDirectory;
  http: WebhookHttp;
  now?: () => number;
}) {
  const now = deps.now ?? Date.now;
  const { store, directory, http } = deps;

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

  async function post(endpoint: LiveEndpoint, t: DeliveryTarget) {
    const headers = webhookHeaders(
      endpoint.secret,
      { id: t.eventId, type: t.eventType },
      t.body,
      Math.floor(now() / 1000),
    );
    try {
      const res = await http.post(endpoint.url, t.body, headers);
      return { res, error: res.status >= 200 && res.status < 300 ? null : failureOf(res) };
    } catch (err) {
      return { res: null, error: err instanceof Error ? err.message : String(err) };
    }
  }

  async function attempt(
    t: DeliveryTarget,
    attemptNo: number,
    retryDelayMs: number | null,
  ): Promise<AttemptReport> {
    const at = now();
    const report = (
      outcome: WebhookAttemptResult['outcome'],
      fields: { status_code?: number; latency_ms?: number; error?: string | null },
      nextWaitMs: number | null = null,
    ): AttemptReport => ({
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
        next_attempt_at: nextWaitMs === null ? null : new Date(now() + nextWaitMs),
      },
    });

    const endpoint = await directory.find(t.orgId, t.endpointId);
    if (!endpoint) return report('skipped', { error: 'The endpoint was deleted' });
    if (endpoint.status === 'disabled') {
      return report('skipped', { error: 'The endpoint is disabled' });
    }

    const { res, error } = await post(endpoint, t);
    const fields = { status_code: res?.status, latency_ms: res?.latencyMs, error };
    if (!error) {
      if (endpoint.status === 'failing') await changeStatus(endpoint, 'active', null);
      return report('delivered', fields);
    }
    if (res?.status === 410) {
      // The cached status may be stale (another process marked it failing): any status but a
      // manual disable gives way.
      await changeStatus(endpoint, 'disabled', `Answered 410 Gone to event ${t.eventId}`, [
        'active',
        'failing',
      ]);
      return report('gone', fields);
    }
    if (retryDelayMs === null) {
      if (endpoint.status === 'active') {
        await changeStatus(
          endpoint,
          'failing',
          `Event ${t.eventId} failed every attempt: ${error}`,
        );
      }
      return report('failed', fields);
    }
    const retryAfter =
      res && (res.status === 429 || res.status === 503)
        ? parseRetryAfter(res.retryAfter, now())
        : null;
    const wait = retryAfter === null ? retryDelayMs : Math.min(retryAfter, retryDelayMs);
    return report('retrying', fields, wait);
  }

  return { attempt };
}

export type Deliverer = ReturnType<typeof createDeliverer>;

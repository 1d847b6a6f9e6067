import { randomUUID } from 'node:crypto';
import { ConflictError, NotFoundError } from '../lib/errors';
import type { Store } from '../store';
import type { DispatchPage } from '../store/contract/webhooks';
import type { WebhookAttemptDoc, WebhookDispatchDoc, WebhookEndpointDoc } from '../store/documents';
import type { WebhookEngine } from './engine';
import { webhookEndpointOf } from './endpoints';
import { TEST_EVENT_TYPE } from './event-types';
import { webhookBody } from './signing';

/** Where a delivery waits in its failing endpoint's backlog. */
export interface ParkedDelivery {
  run: number;
  /** The endpoint's next probe. */
  nextProbeAt: Date | null;
}

/** A delivery with every attempt (by run then attempt), and its place in the backlog if parked. */
export interface DeliveryWithAttempts {
  dispatch: Omit<WebhookDispatchDoc, 'body'>;
  attempts: WebhookAttemptDoc[];
  parked: ParkedDelivery | null;
}

/**
 * The deliveries among `dispatches` waiting in the endpoint's backlog: each delivery's latest
 * run, or the next (a replay parked before its first attempt).
 */
async function parkedIn(
  store: Store,
  endpoint: WebhookEndpointDoc,
  attempts: WebhookAttemptDoc[],
  dispatches: { _id: string }[],
): Promise<Map<string, ParkedDelivery>> {
  const lastRun = new Map<string, number>();
  for (const a of attempts) lastRun.set(a.event_id, Math.max(a.run, lastRun.get(a.event_id) ?? 0));
  const ids = dispatches.flatMap((d) => {
    const run = lastRun.get(d._id) ?? 0;
    return [run, run + 1].map((r) => `${endpoint._id}:${d._id}:${r}`);
  });
  const parked = new Map<string, ParkedDelivery>();
  for (const row of await store.webhookBacklog.parkedAmong(ids)) {
    const seen = parked.get(row.event_id);
    if (!seen || seen.run < row.run) {
      parked.set(row.event_id, { run: row.run, nextProbeAt: endpoint.next_probe_at ?? null });
    }
  }
  return parked;
}

/** An endpoint's deliveries, newest first, with every attempt. */
export async function listDeliveries(
  store: Store,
  orgId: string,
  endpointId: string,
  page: DispatchPage,
): Promise<DeliveryWithAttempts[]> {
  const endpoint = await webhookEndpointOf(store, orgId, endpointId);
  const dispatches = await store.webhookDeliveries.listForEndpoint(orgId, endpointId, page);
  const attempts = await store.webhookDeliveries.attemptsOf(
    endpointId,
    dispatches.map((d) => d._id),
  );
  const parked = await parkedIn(store, endpoint, attempts, dispatches);
  return dispatches.map((d) => ({
    dispatch: d,
    attempts: attempts.filter((a) => a.event_id === d._id),
    parked: parked.get(d._id) ?? null,
  }));
}

async function deliveryOf(store: Store, orgId: string, endpointId: string, deliveryId: string) {
  const endpoint = await webhookEndpointOf(store, orgId, endpointId);
  const dispatch = await store.webhookDeliveries.dispatch(deliveryId);
  if (!dispatch || dispatch.org_id !== orgId || !dispatch.endpoint_ids.includes(endpointId)) {
    throw new NotFoundError(`Delivery '${deliveryId}' not found for this endpoint`);
  }
  const attempts = await store.webhookDeliveries.attemptsOf(endpointId, [deliveryId]);
  return { endpoint, dispatch, attempts };
}

/** One delivery of the endpoint, with every attempt. */
export async function getDelivery(
  store: Store,
  orgId: string,
  endpointId: string,
  deliveryId: string,
): Promise<DeliveryWithAttempts> {
  const { endpoint, dispatch, attempts } = await deliveryOf(store, orgId, endpointId, deliveryId);
  const parked = await parkedIn(store, endpoint, attempts, [dispatch]);
  return { dispatch, attempts, parked: parked.get(dispatch._id) ?? null };
}

/**
 * Sends a delivery again as a new run of its workflow, with the same id and body and a fresh
 * retry schedule; returns the run. A conflict while a run is still going.
 */
export async function replayDelivery(
  { store, webhooks }: { store: Store; webhooks: Pick<WebhookEngine, 'replay'> },
  orgId: string,
  endpointId: string,
  deliveryId: string,
): Promise<number> {
  const { endpoint, dispatch, attempts } = await deliveryOf(store, orgId, endpointId, deliveryId);
  if (endpoint.status === 'disabled') {
    throw new ConflictError('The endpoint is disabled: enable it before replaying');
  }
  const run = Math.max(0, ...attempts.map((a) => a.run)) + 1;
  const started = await webhooks.replay({
    orgId,
    endpointId,
    eventId: dispatch._id,
    eventType: dispatch.event_type,
    body: dispatch.body,
    run,
    attempt: 1,
    waitMs: 0,
  });
  if (!started) {
    throw new ConflictError('This delivery is still being retried: replay it once it ends');
  }
  return run;
}

/**
 * Sends a `webhook.test` event to the endpoint and answers with its first attempt; sent even
 * while the endpoint is failing: it is how one checks that it answers again.
 */
export async function sendTestEvent(
  { store, webhooks }: { store: Store; webhooks: Pick<WebhookEngine, 'directory' | 'dispatcher'> },
  orgId: string,
  endpointId: string,
): Promise<DeliveryWithAttempts> {
  const endpoint = await webhookEndpointOf(store, orgId, endpointId);
  if (endpoint.status === 'disabled') {
    throw new ConflictError('The endpoint is disabled: enable it before testing');
  }
  webhooks.directory.invalidate(orgId);
  const now = new Date();
  const dispatch = {
    _id: `${TEST_EVENT_TYPE}:${randomUUID()}`,
    org_id: orgId,
    event_type: TEST_EVENT_TYPE,
    body: webhookBody({
      type: TEST_EVENT_TYPE,
      timestamp: now,
      data: { endpoint_id: endpointId, message: 'This is a test event from Waflow' },
    }),
    endpoint_ids: [endpointId],
    created_at: now,
  };
  const reports = await webhooks.dispatcher.claimAndDeliver([dispatch]);
  const held = reports.some((r) => r.result.outcome === 'held');
  return {
    dispatch,
    attempts: reports.map((r) => r.record),
    parked: held ? { run: 0, nextProbeAt: endpoint.next_probe_at ?? null } : null,
  };
}

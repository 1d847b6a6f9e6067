import { randomUUID } from 'node:crypto';
import { webhookActivities } from '../../activities/webhooks';
import { openStore, type Store, type StoreHandle } from '../../store';
import type { EventDoc, WebhookAttemptDoc, WebhookDispatchDoc } from '../../store/documents';
import { createDeliverer, type Deliverer } from '../../webhooks/deliverer';
import {
  createWebhookDispatcher,
  type DispatcherOptions,
  type WebhookDispatcher,
} from '../../webhooks/dispatcher';
import { endpointDirectory, type EndpointDirectory } from '../../webhooks/endpoint-directory';
import { createWebhookHttp, type WebhookHttp } from '../../webhooks/http';
import { webhookBody } from '../../webhooks/signing';
import type { WebhookDeliveryInput } from '../../workflows/contracts/webhook-delivery';
import { testConfig } from '../support/config';
import { openRawStore, type RawStore } from '../support/raw-store';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;

let database: StoreHandle;
let store: Store;
let raw: RawStore;
let http: WebhookHttp;
let directory: EndpointDirectory;
let deliverer: Deliverer;
let receiver: WebhookReceiver;

/** The dispatcher's and deliverer's clock: real time unless a test sets it. */
let clock: number | undefined;
const now = () => clock ?? Date.now();

/** What the fake workflow starter was asked to start. */
let started: WebhookDeliveryInput[];
let logged: { level: 'warn' | 'error'; msg: string; obj: object }[];

function newDispatcher(options?: DispatcherOptions): WebhookDispatcher {
  return createWebhookDispatcher({
    store,
    directory,
    deliverer,
    startWorkflow: async (input) => {
      started.push(input);
      return true;
    },
    log: {
      warn: (obj, msg) => logged.push({ level: 'warn', msg, obj }),
      error: (obj, msg) => logged.push({ level: 'error', msg, obj }),
    },
    options,
    now,
  });
}

let dispatcher: WebhookDispatcher;
let orgId: string;
/** Before anything a test records, where its sweeps start. */
let from: Date;

beforeAll(async () => {
  const config = testConfig({
    WEBHOOK_ALLOW_HTTP: 'true',
    WEBHOOK_ALLOWED_NETWORKS: '127.0.0.1/32',
    WEBHOOK_ENDPOINT_CACHE_MS: '0',
  });
  // Opened directly, so no engine listens to the events it records: as after a crash.
  database = await openStore(config);
  store = database.store;
  raw = openRawStore(config);
  http = createWebhookHttp(config.webhooks, { timeoutMs: 5_000 });
  directory = endpointDirectory(store, config.webhooks.endpointCacheMs);
  deliverer = createDeliverer({ store, directory, http, now });
  receiver = await startWebhookReceiver();
});
afterAll(async () => {
  await http?.close();
  await receiver?.close();
  await raw?.close();
  await database?.close();
});

beforeEach(async () => {
  // Every sweep looks at the whole database: each test starts from an empty one.
  for (const name of [
    'events',
    'webhook_endpoints',
    'webhook_dispatches',
    'webhook_attempts',
    'webhook_recovery',
  ]) {
    await raw.clear(name);
  }
  clock = undefined;
  started = [];
  logged = [];
  receiver.received.splice(0);
  receiver.answer(() => ({ status: 200 }));
  dispatcher = newDispatcher();
  orgId = randomUUID();
  from = new Date(Date.now() - SECOND);
});

async function newEndpoint(path: string, org = orgId): Promise<string> {
  const { endpoint } = await store.webhookEndpoints.create(org, {
    name: path,
    url: `${receiver.url}/${path}`,
    events: ['*'],
  });
  return endpoint._id;
}

/** Records an event as a process would, then returns it as stored. */
async function recordEvent(org = orgId): Promise<EventDoc> {
  const id = `contact.created:${randomUUID()}`;
  expect(await store.events.record(org, id, 'contact.created', { id })).toBe(true);
  const stored = await store.events.get(id);
  expect(stored).not.toBeNull();
  return stored!;
}

/** The claim a dispatcher stores before any POST. */
function dispatchOf(event: EventDoc, endpointIds: string[], at: number): WebhookDispatchDoc {
  return {
    _id: event._id,
    org_id: event.org_id,
    event_type: event.type,
    body: webhookBody(event),
    endpoint_ids: endpointIds,
    created_at: new Date(at),
  };
}

function attemptOf(
  dispatch: WebhookDispatchDoc,
  endpointId: string,
  attempt: number,
  at: number,
  nextAttemptAt: number | null,
): WebhookAttemptDoc {
  return {
    _id: `${endpointId}:${dispatch._id}:0:${attempt}`,
    org_id: dispatch.org_id,
    endpoint_id: endpointId,
    event_id: dispatch._id,
    run: 0,
    attempt,
    at: new Date(at),
    status_code: 500,
    latency_ms: 3,
    error: 'Answered HTTP 500',
    outcome: nextAttemptAt === null ? 'failed' : 'retrying',
    next_attempt_at: nextAttemptAt === null ? null : new Date(nextAttemptAt),
  };
}

const deliveriesOf = (eventId: string) =>
  receiver.received.filter((r) => r.headers['x-webhook-id'] === eventId);

it('delivers, once, an event recorded while no dispatcher listened', async () => {
  const endpointId = await newEndpoint('one');
  const event = await recordEvent();

  // Too recent: the live path may still be on it.
  expect(await dispatcher.recover(from)).toMatchObject({ dispatched: 0, resumed: 0 });
  expect(receiver.received).toHaveLength(0);

  clock = event.created_at.getTime() + 31 * SECOND;
  expect(await dispatcher.recover(from)).toMatchObject({ dispatched: 1, resumed: 0 });
  expect(deliveriesOf(event._id)).toHaveLength(1);
  expect(deliveriesOf(event._id)[0]).toMatchObject({ path: '/one', body: webhookBody(event) });
  expect((await store.webhookDeliveries.attemptsOf(endpointId, [event._id])).length).toBe(1);

  expect(await dispatcher.recover(from)).toMatchObject({ dispatched: 0, resumed: 0 });
  // Later still, when its claim is old enough to be looked at: delivered, so left alone.
  clock += 5 * MINUTE;
  expect(await dispatcher.recover(from)).toMatchObject({ dispatched: 0, resumed: 0 });
  expect(receiver.received).toHaveLength(1);
  expect(started).toEqual([]);
});

it('starts the workflow at attempt 1 for a claimed delivery that has no attempt', async () => {
  const endpointId = await newEndpoint('claimed');
  const event = await recordEvent();
  const dispatch = dispatchOf(event, [endpointId], Date.now());
  // A crash right after the claim leaves just this.
  expect(await store.webhookDeliveries.claim([dispatch])).toEqual(new Set([event._id]));

  expect(await dispatcher.recover(from)).toMatchObject({ dispatched: 0, resumed: 0 });
  expect(started).toEqual([]);

  clock = dispatch.created_at.getTime() + 31 * SECOND;
  expect(await dispatcher.recover(from)).toMatchObject({ dispatched: 0, resumed: 1 });
  expect(started).toEqual([
    {
      orgId,
      endpointId,
      eventId: event._id,
      eventType: 'contact.created',
      body: dispatch.body,
      run: 0,
      attempt: 1,
      waitMs: 0,
      retryDelaysMs: [10_000, 60_000, 300_000],
    },
  ]);
  // The workflow makes the attempts, not the sweep.
  expect(receiver.received).toHaveLength(0);
});

it('starts the workflow at attempt 2 once the retry of a first attempt is 30 s overdue', async () => {
  const endpointId = await newEndpoint('retry');
  const [late, resumedElsewhere] = [await recordEvent(), await recordEvent()];
  const t0 = Date.now();
  const lateDispatch = dispatchOf(late, [endpointId], t0);
  const otherDispatch = dispatchOf(resumedElsewhere, [endpointId], t0);
  expect(await store.webhookDeliveries.claim([lateDispatch, otherDispatch])).toEqual(
    new Set([late._id, resumedElsewhere._id]),
  );
  // Both first attempts failed, a retry due 10 s later; the second's workflow made attempt 2.
  await store.webhookDeliveries.recordAttempts([
    attemptOf(lateDispatch, endpointId, 1, t0, t0 + 10 * SECOND),
    attemptOf(otherDispatch, endpointId, 1, t0, t0 + 10 * SECOND),
    attemptOf(otherDispatch, endpointId, 2, t0 + 10 * SECOND, t0 + 70 * SECOND),
  ]);

  // Due 20 s ago: late, but not yet the sweep's.
  clock = t0 + 30 * SECOND;
  expect(await dispatcher.recover(from)).toMatchObject({ dispatched: 0, resumed: 0 });
  expect(started).toEqual([]);

  clock = t0 + 41 * SECOND;
  expect(await dispatcher.recover(from)).toMatchObject({ dispatched: 0, resumed: 1 });
  expect(started).toEqual([
    expect.objectContaining({ endpointId, eventId: late._id, run: 0, attempt: 2, waitMs: 0 }),
  ]);
  expect(receiver.received).toHaveLength(0);
});

it('does nothing, without error, for an event whose organization has no endpoints', async () => {
  await newEndpoint('elsewhere', randomUUID());
  const event = await recordEvent();
  clock = event.created_at.getTime() + 31 * SECOND;
  expect(await dispatcher.recover(from)).toMatchObject({ dispatched: 0, resumed: 0 });
  expect(await store.webhookDeliveries.dispatch(event._id)).toBeNull();
  expect(receiver.received).toHaveLength(0);
  expect(started).toEqual([]);
  expect(logged).toEqual([]);
});

it('does not send an old event to an endpoint created after it', async () => {
  const before = await newEndpoint('before');
  const event = await recordEvent();
  await new Promise((resolve) => setTimeout(resolve, 20));
  const after = await newEndpoint('after');
  clock = Date.now() + 31 * SECOND;

  expect(await dispatcher.recover(from)).toMatchObject({ dispatched: 1, resumed: 0 });
  expect(receiver.received.map((r) => r.path)).toEqual(['/before']);
  expect((await store.webhookDeliveries.dispatch(event._id))?.endpoint_ids).toEqual([before]);
  expect(await store.webhookDeliveries.attemptsOf(after, [event._id])).toEqual([]);
});

it('leaves what exceeds its queue to the sweep, and nothing is sent twice', async () => {
  await newEndpoint('queue');
  const bounded = newDispatcher({ maxQueue: 5 });
  const events: EventDoc[] = [];
  for (let i = 0; i < 20; i++) events.push(await recordEvent());

  bounded.enqueue(events.slice(0, 3));
  bounded.enqueue(events.slice(3));
  await bounded.drain();
  expect(receiver.received).toHaveLength(5);
  expect(new Set(receiver.received.map((r) => r.headers['x-webhook-id']))).toEqual(
    new Set(events.slice(0, 5).map((e) => e._id)),
  );
  expect(logged).toContainEqual(expect.objectContaining({ level: 'warn', obj: { dropped: 15 } }));

  clock = Date.now() + 31 * SECOND;
  expect(await bounded.recover(from)).toMatchObject({ dispatched: 15, resumed: 0 });
  clock += 5 * MINUTE;
  expect(await bounded.recover(from)).toMatchObject({ dispatched: 0, resumed: 0 });

  const counts = new Map<string, number>();
  for (const r of receiver.received) {
    const id = String(r.headers['x-webhook-id']);
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  expect([...counts.keys()].sort()).toEqual(events.map((e) => e._id).sort());
  expect([...counts.values()].every((n) => n === 1)).toBe(true);
  expect(started).toEqual([]);
});

it('keeps the sweep cursor and starts each sweep 2 minutes before it', async () => {
  const endpointId = await newEndpoint('cursor');
  // Older than every event here, the straggler below included.
  await raw.update(
    'webhook_endpoints',
    { _id: endpointId },
    { created_at: new Date(Date.now() - 60 * MINUTE) },
  );
  const froms: Date[] = [];
  const activities = webhookActivities({
    store,
    deliverer,
    dispatcher: {
      ...dispatcher,
      recover: (since, pageSize) => {
        froms.push(since);
        return dispatcher.recover(since, pageSize);
      },
    },
  });
  const fresh = await recordEvent();

  expect(await store.webhookDeliveries.recoveredThrough()).toBeNull();
  const firstAt = Date.now();
  clock = firstAt;
  // The event is under 30 s old: not this sweep's yet.
  expect(await activities.recoverWebhookDeliveries()).toEqual({ dispatched: 0, resumed: 0 });
  // A first sweep looks an hour back.
  expect(Math.abs(froms[0]!.getTime() - (firstAt - 60 * MINUTE))).toBeLessThan(10 * SECOND);
  const firstCursor = await store.webhookDeliveries.recoveredThrough();
  expect(firstCursor).toEqual(new Date(firstAt - 30 * SECOND));

  // Stored late with an earlier time (a slow write): only the overlap finds it.
  const straggler = await recordEvent();
  await raw.update(
    'events',
    { _id: straggler._id },
    { created_at: new Date(firstCursor!.getTime() - 1 * MINUTE) },
  );

  clock = firstAt + 2 * MINUTE;
  expect(await activities.recoverWebhookDeliveries()).toEqual({ dispatched: 2, resumed: 0 });
  expect(froms[1]).toEqual(new Date(firstCursor!.getTime() - 2 * MINUTE));
  expect(await store.webhookDeliveries.recoveredThrough()).toEqual(new Date(clock - 30 * SECOND));
  expect(new Set(receiver.received.map((r) => r.headers['x-webhook-id']))).toEqual(
    new Set([fresh._id, straggler._id]),
  );
});

it('sweeps past a full page, even when a page shares one timestamp', async () => {
  const endpointId = await newEndpoint('pages');
  await raw.update(
    'webhook_endpoints',
    { _id: endpointId },
    { created_at: new Date(Date.now() - 60 * MINUTE) },
  );
  const events: EventDoc[] = [];
  for (let i = 0; i < 7; i++) events.push(await recordEvent());
  // As one outbox copy writes them: one created_at for all.
  const at = new Date(Date.now() - 60 * SECOND);
  expect(
    await raw.update('events', { _id: { in: events.map((e) => e._id) } }, { created_at: at }),
  ).toBe(7);
  clock = Date.now();
  const result = await newDispatcher().recover(new Date(at.getTime() - MINUTE), 3);
  expect(result.dispatched).toBe(7);
  expect(result.through).toEqual(new Date(clock - 30 * SECOND));
  expect(new Set(receiver.received.map((r) => r.headers['x-webhook-id']))).toEqual(
    new Set(events.map((e) => e._id)),
  );
});

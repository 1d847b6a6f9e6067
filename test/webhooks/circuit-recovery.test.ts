import { randomUUID } from 'node:crypto';
import { openStore, type Store, type StoreHandle } from '../../store';
import type { WebhookAttemptDoc, WebhookDispatchDoc } from '../../store/documents';
import { createDeliverer } from '../../webhooks/deliverer';
import {
  createWebhookDispatcher,
  type CircuitTarget,
  type DispatcherOptions,
  type WebhookDispatcher,
} from '../../webhooks/dispatcher';
import { endpointDirectory } from '../../webhooks/endpoint-directory';
import { createWebhookHttp, type WebhookHttp } from '../../webhooks/http';
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
let receiver: WebhookReceiver;
let started: WebhookDeliveryInput[];
let circuits: CircuitTarget[];
let orgId: string;
/** Before anything a test stores. */
let from: Date;

beforeAll(async () => {
  const config = testConfig();
  database = await openStore(config);
  store = database.store;
  raw = openRawStore(config);
  http = createWebhookHttp({ allowHttp: true, allowedNetworks: ['127.0.0.1/32'] });
  receiver = await startWebhookReceiver();
});
afterAll(async () => {
  await http?.close();
  await receiver?.close();
  await raw?.close();
  await database?.close();
});

beforeEach(async () => {
  // A sweep looks at the whole database.
  for (const table of [
    'events',
    'webhook_endpoints',
    'webhook_dispatches',
    'webhook_attempts',
    'webhook_backlog',
    'webhook_recovery',
  ]) {
    await raw.clear(table);
  }
  started = [];
  circuits = [];
  orgId = randomUUID();
  from = new Date(Date.now() - 10 * MINUTE);
});

function newDispatcher(options?: DispatcherOptions): WebhookDispatcher {
  const directory = endpointDirectory(store, 0);
  return createWebhookDispatcher({
    store,
    directory,
    deliverer: createDeliverer({ store, directory, http }),
    startWorkflow: async (input) => {
      started.push(input);
      return true;
    },
    startCircuit: async (target) => {
      circuits.push(target);
      return true;
    },
    log: { warn() {}, error() {} },
    options,
  });
}

async function newEndpoint(path: string): Promise<string> {
  const { endpoint } = await store.webhookEndpoints.create(orgId, {
    name: path,
    url: `${receiver.url}/${path}`,
    events: ['*'],
  });
  return endpoint._id;
}

/** Deliveries claimed a minute ago (older than the sweep's 30 s), one per event. */
async function claimed(endpointIds: string[], count: number): Promise<WebhookDispatchDoc[]> {
  const at = Date.now() - MINUTE;
  const docs = Array.from({ length: count }, (_, i) => ({
    _id: `contact.created:${randomUUID()}`,
    org_id: orgId,
    event_type: 'contact.created',
    body: '{"event":"contact.created","timestamp":"2030-01-01T00:00:00.000Z","data":{}}',
    endpoint_ids: endpointIds,
    created_at: new Date(at + i),
  }));
  await store.webhookDeliveries.claim(docs);
  return docs;
}

/** A first attempt that failed long ago, its retry overdue (the process died). */
function failedFirst(d: WebhookDispatchDoc, endpointId: string): WebhookAttemptDoc {
  return {
    _id: `${endpointId}:${d._id}:0:1`,
    org_id: orgId,
    endpoint_id: endpointId,
    event_id: d._id,
    run: 0,
    attempt: 1,
    at: new Date(d.created_at.getTime() + 5),
    status_code: 500,
    latency_ms: 1,
    error: 'Answered HTTP 500',
    outcome: 'retrying',
    next_attempt_at: new Date(d.created_at.getTime() + 10 * SECOND),
  };
}

const lastOutcomes = async (endpointId: string, ds: WebhookDispatchDoc[]) => {
  const attempts = await store.webhookDeliveries.attemptsOf(
    endpointId,
    ds.map((d) => d._id),
  );
  return ds.map((d) => attempts.filter((a) => a.event_id === d._id).at(-1)?.outcome);
};

it('starts nothing for a deleted endpoint: its deliveries and backlog end skipped', async () => {
  const gone = await newEndpoint('gone');
  const ds = await claimed([gone], 4);
  // One had its first attempt, its retry overdue; one waits in the backlog.
  await store.webhookDeliveries.recordAttempts([failedFirst(ds[1]!, gone)]);
  await store.webhookBacklog.park([
    {
      _id: `${gone}:${ds[3]!._id}:0`,
      org_id: orgId,
      endpoint_id: gone,
      event_id: ds[3]!._id,
      run: 0,
      attempt: 2,
      event_at: ds[3]!.created_at,
      parked_at: new Date(),
    },
  ]);
  await store.webhookDeliveries.recordAttempts([
    { ...failedFirst(ds[3]!, gone), outcome: 'held', next_attempt_at: null },
  ]);
  expect(await store.webhookEndpoints.delete(orgId, gone)).toBe(true);

  const result = await newDispatcher().recover(from);

  expect(started).toEqual([]);
  expect(circuits).toEqual([]);
  expect(result).toMatchObject({ dispatched: 0, resumed: 0, parked: 0, skipped: 4, circuits: 0 });
  expect(await lastOutcomes(gone, ds)).toEqual(['skipped', 'skipped', 'skipped', 'skipped']);
  expect(await store.webhookBacklog.count(gone)).toBe(0);
  expect(receiver.received).toEqual([]);

  // Settled: the next sweep finds nothing to do.
  expect(await newDispatcher().recover(from)).toMatchObject({ resumed: 0, skipped: 0 });
  expect(started).toEqual([]);
});

it('starts nothing for a disabled endpoint', async () => {
  const off = await newEndpoint('off');
  const ds = await claimed([off], 2);
  await store.webhookEndpoints.update(orgId, off, { status: 'disabled' });

  expect(await newDispatcher().recover(from)).toMatchObject({ resumed: 0, skipped: 2 });
  expect(started).toEqual([]);
  expect(circuits).toEqual([]);
  expect(await lastOutcomes(off, ds)).toEqual(['skipped', 'skipped']);
});

it('parks deliveries to a failing endpoint and starts its circuit, not a workflow each', async () => {
  const down = await newEndpoint('down');
  const ds = await claimed([down], 3);
  await store.webhookDeliveries.recordAttempts([failedFirst(ds[0]!, down)]);
  await store.webhookEndpoints.openCircuit(down, new Date(), 'refused');

  expect(await newDispatcher().recover(from)).toMatchObject({ resumed: 0, parked: 3 });
  expect(started).toEqual([]);
  expect(circuits).toEqual([{ orgId, endpointId: down }]);
  // Parked without a POST: no attempt is recorded until the circuit makes it.
  expect(await lastOutcomes(down, ds)).toEqual(['retrying', undefined, undefined]);
  expect(await store.webhookBacklog.count(down)).toBe(3);
  const [oldest] = await store.webhookBacklog.oldest(down, 1);
  // The one that had a first attempt goes next as its second.
  expect(oldest).toMatchObject({ event_id: ds[0]!._id, attempt: 2, body: ds[0]!.body });
  // A later sweep leaves them to the circuit.
  expect(await newDispatcher().recover(from)).toMatchObject({ resumed: 0, parked: 0 });
  expect(started).toEqual([]);
  expect(receiver.received).toEqual([]);
});

it("starts a backlog's circuit again only when its probe is long overdue", async () => {
  const down = await newEndpoint('stalled');
  await store.webhookEndpoints.openCircuit(down, new Date(), 'refused');
  await store.webhookBacklog.park([
    {
      _id: `${down}:evt-1:0`,
      org_id: orgId,
      endpoint_id: down,
      event_id: 'evt-1',
      run: 0,
      attempt: 2,
      event_at: new Date(),
      parked_at: new Date(),
    },
  ]);
  await store.webhookEndpoints.setNextProbe(down, new Date(Date.now() + MINUTE));
  expect(await newDispatcher().recover(from)).toMatchObject({ circuits: 0 });
  expect(circuits).toEqual([]);

  await store.webhookEndpoints.setNextProbe(down, new Date(Date.now() - 2 * MINUTE));
  expect(await newDispatcher().recover(from)).toMatchObject({ circuits: 1 });
  expect(circuits).toEqual([{ orgId, endpointId: down }]);
});

it('starts at most recoverMaxStarts workflows a run, and the next run goes on from there', async () => {
  const ep = await newEndpoint('bounded');
  const ds = await claimed([ep], 10);
  const dispatcher = newDispatcher({ recoverMaxStarts: 3 });

  const first = await dispatcher.recover(from);
  expect(first.resumed).toBe(3);
  expect(started.map((s) => s.eventId)).toEqual(ds.slice(0, 3).map((d) => d._id));
  // Not past the first delivery it left.
  expect(first.through).toEqual(ds[3]!.created_at);

  const runs = [first];
  while (runs.at(-1)!.resumed) runs.push(await dispatcher.recover(runs.at(-1)!.through));
  expect(runs.map((r) => r.resumed)).toEqual([3, 3, 3, 1, 0]);
  // The fake starter does not record attempts, so a later run may see a delivery again; each
  // was started by the run that reached it first.
  expect(new Set(started.map((s) => s.eventId))).toEqual(new Set(ds.map((d) => d._id)));
  expect(runs.at(-1)!.through.getTime()).toBeGreaterThan(ds.at(-1)!.created_at.getTime());
});

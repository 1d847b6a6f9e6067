import { randomUUID } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { openStore, type Store, type StoreHandle } from '../../store';
import type { EventDoc } from '../../store/documents';
import { attemptWriter } from '../../webhooks/attempt-writer';
import { createDeliverer } from '../../webhooks/deliverer';
import { createWebhookDispatcher } from '../../webhooks/dispatcher';
import { endpointDirectory } from '../../webhooks/endpoint-directory';
import { createWebhookHttp, type WebhookHttp } from '../../webhooks/http';
import type { WebhookDeliveryInput } from '../../workflows/contracts/webhook-delivery';
import { testConfig } from '../support/config';
import { openRawStore, type RawStore } from '../support/raw-store';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

let database: StoreHandle;
let store: Store;
let raw: RawStore;
let http: WebhookHttp;
let fast: WebhookReceiver;

/** An endpoint that answers nothing until the test lets it. */
const held: ServerResponse[] = [];
const slow = createServer((req, res) => {
  req.resume();
  held.push(res);
});
let slowUrl: string;

beforeAll(async () => {
  const config = testConfig({
    WEBHOOK_ALLOW_HTTP: 'true',
    WEBHOOK_ALLOWED_NETWORKS: '127.0.0.1/32',
  });
  database = await openStore(config);
  store = database.store;
  raw = openRawStore(config);
  http = createWebhookHttp(config.webhooks, { timeoutMs: 30_000 });
  fast = await startWebhookReceiver();
  await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
  slowUrl = `http://127.0.0.1:${(slow.address() as AddressInfo).port}`;
});
afterAll(async () => {
  slow.closeAllConnections();
  await new Promise((resolve) => slow.close(resolve));
  await http.close();
  await fast.close();
  await raw?.close();
  await database?.close();
});

it('a hanging endpoint holds its own lane only; once stuck, its deliveries go to workflows', async () => {
  const orgId = randomUUID();
  const past = new Date(Date.now() - 60_000);
  const ids: string[] = [];
  for (const url of [`${fast.url}/fast`, `${slowUrl}/slow`]) {
    const { endpoint } = await store.webhookEndpoints.create(orgId, {
      name: url,
      url,
      events: ['*'],
    });
    await raw.update('webhook_endpoints', { _id: endpoint._id }, { created_at: past });
    ids.push(endpoint._id);
  }
  const [fastId, slowId] = ids;
  const started: WebhookDeliveryInput[] = [];
  const directory = endpointDirectory(store, 60_000);
  const dispatcher = createWebhookDispatcher({
    store,
    directory,
    deliverer: createDeliverer({ store, directory, http }),
    startWorkflow: async (input) => {
      started.push(input);
      return true;
    },
    log: { warn() {}, error() {} },
    options: { perEndpoint: 2, maxLaneWaitMs: 300 },
  });

  const eventIds: string[] = [];
  const event = (): EventDoc => {
    eventIds.push(`contact.created:${randomUUID()}`);
    return {
      _id: eventIds.at(-1)!,
      org_id: orgId,
      type: 'contact.created',
      timestamp: new Date(),
      data: {},
      created_at: new Date(),
    };
  };
  // Five rounds of four events, each delivered to the fast endpoint before the next.
  for (let round = 1; round <= 5; round++) {
    dispatcher.enqueue([event(), event(), event(), event()]);
    await fast.waitFor(4 * round);
    await new Promise((r) => setTimeout(r, 150));
  }
  // The slow endpoint never answered: two attempts in flight, and those that queued behind
  // them before its lane was stuck; the rest went to their workflows.
  expect(held).toHaveLength(2);
  expect(started.length).toBeGreaterThan(0);
  expect(started.every((s) => s.endpointId === slowId && s.attempt === 1 && s.waitMs === 0)).toBe(
    true,
  );
  const inMemory = 20 - started.length;

  let answered = 0;
  while (answered < inMemory) {
    const batch = held.splice(0);
    for (const res of batch) res.end('ok');
    answered += batch.length;
    await new Promise((r) => setTimeout(r, 10));
  }
  await dispatcher.drain();
  const delivered = async (endpointId: string) =>
    (await store.webhookDeliveries.attemptsOf(endpointId, eventIds)).filter(
      (a) => a.outcome === 'delivered',
    );
  expect(await delivered(fastId!)).toHaveLength(20);
  const slowAttempts = await delivered(slowId!);
  expect(slowAttempts).toHaveLength(inMemory);
  // Every delivery to the slow endpoint once: in memory or by workflow, never both.
  const byWorkflow = new Set(started.map((s) => s.eventId));
  expect(byWorkflow.size).toBe(started.length);
  for (const a of slowAttempts) expect(byWorkflow.has(a.event_id)).toBe(false);
  expect(fast.received.filter((r) => r.path === '/fast')).toHaveLength(20);
  expect(started.every((s) => s.endpointId !== fastId)).toBe(true);
});

it('stores attempts that finish during an insert together, and rejects each on failure', async () => {
  const calls: number[] = [];
  let fail = false;
  const fakeStore = {
    webhookDeliveries: {
      async recordAttempts(docs: unknown[]) {
        calls.push(docs.length);
        await new Promise((r) => setTimeout(r, 20));
        if (fail) throw new Error('store down');
      },
    },
  } as unknown as Store;
  const writer = attemptWriter(fakeStore);
  const doc = (n: number) => ({ _id: String(n) }) as never;
  await Promise.all(Array.from({ length: 10 }, (_, n) => writer.record(doc(n))));
  // The first insert starts with one attempt; the nine that arrive meanwhile share the next.
  expect(calls).toEqual([1, 9]);

  fail = true;
  const results = await Promise.allSettled([writer.record(doc(1)), writer.record(doc(2))]);
  expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
});

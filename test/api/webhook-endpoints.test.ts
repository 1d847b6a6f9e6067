import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { defaultPayloadConverter, WorkflowNotFoundError } from '@temporalio/common';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import type { z } from 'zod';
import type {
  CreatedWebhookEndpointView,
  DeliveryView,
  WebhookEndpointView,
} from '../../api/schemas/webhook-endpoints';
import type { Env } from '../../lib/config';
import { provisionOrganization } from '../../scripts/provision';
import { openStore, type StoreHandle } from '../../store';
import type { EventDoc, WebhookEndpointDoc } from '../../store/documents';
import {
  type WebhookDeliveryInput,
  webhookDeliveryWorkflowId,
} from '../../workflows/contracts/webhook-delivery';
import { createTestApp, type TestApp } from '../support/app';
import { openRawStore, type RawStore } from '../support/raw-store';
import {
  startWebhookReceiver,
  type ReceivedWebhook,
  type WebhookReceiver,
} from '../support/webhook-receiver';
import { startTestWorker, type TestWorker } from '../support/worker';

type Caller = (o: InjectOptions) => Promise<LightMyRequestResponse>;
type CreatedEndpoint = z.infer<typeof CreatedWebhookEndpointView>;
type Endpoint = z.infer<typeof WebhookEndpointView>;
type Delivery = z.infer<typeof DeliveryView>;
interface DeliveryPage {
  deliveries: Delivery[];
  next_cursor: { before_time: string; before_id: string } | null;
}

interface Org {
  id: string;
  call: Caller;
  app: TestApp;
}

const RATE_LIMITS: Env = { RATE_LIMIT_PER_SECOND: '100000', RATE_LIMIT_PER_MINUTE: '100000' };
const LOCAL_DELIVERY: Env = {
  ...RATE_LIMITS,
  WEBHOOK_ALLOW_HTTP: 'true',
  WEBHOOK_ALLOWED_NETWORKS: '127.0.0.1/32',
  WEBHOOK_ENDPOINT_CACHE_MS: '0',
};

let t: TestApp;
let raw: RawStore;
const receivers: WebhookReceiver[] = [];
const servers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  t = await createTestApp({ env: LOCAL_DELIVERY });
  raw = openRawStore(t.app.config);
});
afterAll(async () => {
  await raw?.close();
  await t.close();
  await Promise.all([...receivers.map((r) => r.close()), ...servers.map((close) => close())]);
});

async function receiver(): Promise<WebhookReceiver> {
  const r = await startWebhookReceiver();
  receivers.push(r);
  return r;
}

/** A fresh organization, so that no other test's endpoints receive its events. */
async function newOrg(app: TestApp = t): Promise<Org> {
  const org = await provisionOrganization(app.app.store, { name: `Org ${randomUUID()}` });
  return {
    id: org.organization.id,
    app,
    call: (o) =>
      app.app.inject({ ...o, headers: { 'x-api-key': org.api_key.key, ...(o.headers ?? {}) } }),
  };
}

async function createEndpoint(
  org: Org,
  body: { url: string; events?: string[]; name?: string },
): Promise<CreatedEndpoint> {
  const res = await org.call({
    method: 'POST',
    url: '/api/webhook-endpoints',
    payload: { name: 'Hook', events: ['*'], ...body },
  });
  expect(res.statusCode).toBe(201);
  const endpoint: CreatedEndpoint = res.json().data;
  return endpoint;
}

async function getEndpoint(org: Org, id: string): Promise<Endpoint> {
  const res = await org.call({ method: 'GET', url: `/api/webhook-endpoints/${id}` });
  expect(res.statusCode).toBe(200);
  const endpoint: Endpoint = res.json().data;
  return endpoint;
}

async function patchEndpoint(org: Org, id: string, payload: object): Promise<Endpoint> {
  const res = await org.call({ method: 'PATCH', url: `/api/webhook-endpoints/${id}`, payload });
  expect(res.statusCode).toBe(200);
  const endpoint: Endpoint = res.json().data;
  return endpoint;
}

/** Records an event as the app does and waits for its first attempts. */
async function emit(
  org: Org,
  opts: { id?: string; type?: string; data?: Record<string, unknown>; at?: Date } = {},
): Promise<string> {
  const id = opts.id ?? randomUUID();
  const { store, webhooks } = org.app.app;
  const data = opts.data ?? { message_id: `wamid.${id}`, status: 'read' };
  expect(await store.events.record(org.id, id, opts.type ?? 'message.read', data, opts.at)).toBe(
    true,
  );
  await webhooks.dispatcher.drain();
  return id;
}

async function deliveryPage(org: Org, endpointId: string, query = ''): Promise<DeliveryPage> {
  const res = await org.call({
    method: 'GET',
    url: `/api/webhook-endpoints/${endpointId}/deliveries${query}`,
  });
  expect(res.statusCode).toBe(200);
  const page: DeliveryPage = res.json().data;
  return page;
}

async function deliveriesOf(org: Org, endpointId: string): Promise<Delivery[]> {
  return (await deliveryPage(org, endpointId, '?limit=100')).deliveries;
}

async function deliveryOf(org: Org, endpointId: string, id: string): Promise<Delivery> {
  const res = await org.call({
    method: 'GET',
    url: `/api/webhook-endpoints/${endpointId}/deliveries/${encodeURIComponent(id)}`,
  });
  expect(res.statusCode).toBe(200);
  const delivery: Delivery = res.json().data;
  return delivery;
}

const headersOf = (hook: ReceivedWebhook): Record<string, string> =>
  Object.fromEntries(
    Object.entries(hook.headers).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );

const eventOf = (hook: ReceivedWebhook): string =>
  (JSON.parse(hook.body) as { event: string }).event;

function plainSignatureMatches(secret: string, hook: ReceivedWebhook): boolean {
  const expected = Buffer.from(createHmac('sha256', secret).update(hook.body).digest('hex'));
  const received = Buffer.from(String(hook.headers['x-webhook-signature']));
  return expected.length === received.length && timingSafeEqual(expected, received);
}

/** The retry workflow the dispatcher started for a failed first attempt, and its input. */
async function retryWorkflow(app: TestApp, endpointId: string, eventId: string) {
  const handle = app.app.temporal.workflow.getHandle(
    webhookDeliveryWorkflowId(endpointId, eventId),
  );
  const { status } = await handle.describe();
  const history = await handle.fetchHistory();
  const payload =
    history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  expect(payload).toBeDefined();
  const input = defaultPayloadConverter.fromPayload<WebhookDeliveryInput>(payload!);
  return { status: status.name, input };
}

async function eventually<T>(fn: () => Promise<T>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(50);
    }
  }
}

const ms = (iso: string | null): number => Date.parse(iso ?? 'missing');

/** A plain HTTP server counting what it is sent, on `host` if this machine can bind it. */
async function countingServer(host: string): Promise<{ url: string; hits: string[] }> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    res.end('ok');
  });
  const listen = (h: string) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, h, () => {
        server.off('error', reject);
        resolve();
      });
    });
  let bound = host;
  try {
    await listen(host);
  } catch {
    bound = '127.0.0.1';
    await listen(bound);
  }
  servers.push(
    () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { url: `http://${bound}:${(server.address() as AddressInfo).port}/`, hits };
}

describe('endpoint CRUD', () => {
  it('creates an endpoint, showing its secret once and storing it encrypted', async () => {
    const org = await newOrg();
    const r = await receiver();
    const res = await org.call({
      method: 'POST',
      url: '/api/webhook-endpoints',
      payload: {
        name: '  CRM sync ',
        url: `${r.url}/crm?source=waflow`,
        events: ['contact.created', 'message.read', 'contact.created'],
      },
    });
    expect(res.statusCode).toBe(201);
    const created: CreatedEndpoint = res.json().data;
    expect(created).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: 'CRM sync',
      url: `${r.url}/crm?source=waflow`,
      events: ['contact.created', 'message.read'],
      status: 'active',
      status_reason: null,
      created_at: expect.any(String),
      updated_at: created.created_at,
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/),
    });

    const [stored] = (await raw.find('webhook_endpoints', {
      _id: created.id,
    })) as unknown as WebhookEndpointDoc[];
    expect(stored).toBeDefined();
    expect(JSON.stringify(stored)).not.toContain(created.secret);
    expect(JSON.stringify(stored)).not.toContain(created.secret.slice('whsec_'.length));
    expect(stored!.secret_enc).not.toContain(created.secret);
    expect(t.app.store.webhookEndpoints.secretOf(stored!)).toBe(created.secret);

    const { secret, ...view } = created;
    const got = await org.call({ method: 'GET', url: `/api/webhook-endpoints/${created.id}` });
    expect(got.json()).toEqual({ data: view, status: 'success' });
    expect(got.body).not.toContain(secret);
    const list = await org.call({ method: 'GET', url: '/api/webhook-endpoints' });
    expect(list.json()).toEqual({ data: [view], status: 'success' });
    expect(list.body).not.toContain(secret);
  });

  it('collapses events to ["*"] and removes duplicates', async () => {
    const org = await newOrg();
    const r = await receiver();
    const all = await createEndpoint(org, {
      url: r.url,
      events: ['message.read', '*', 'contact.created'],
    });
    expect(all.events).toEqual(['*']);
    const dup = await createEndpoint(org, {
      url: r.url,
      events: ['message.failed', 'message.failed', 'payment_link.paid', 'message.failed'],
    });
    expect(dup.events).toEqual(['message.failed', 'payment_link.paid']);
    const patched = await patchEndpoint(org, dup.id, { events: ['*', 'message.read', '*'] });
    expect(patched.events).toEqual(['*']);
    const list = await org.call({ method: 'GET', url: '/api/webhook-endpoints' });
    expect(list.json().data.map((e: Endpoint) => [e.id, e.events])).toEqual([
      [all.id, ['*']],
      [dup.id, ['*']],
    ]);
  });

  it('refuses unknown event types and other invalid bodies, naming the field', async () => {
    const org = await newOrg();
    const r = await receiver();
    const cases: [object, string][] = [
      [{ name: 'x', url: r.url, events: ['contact.created', 'contact.deleted'] }, 'body.events.1'],
      [{ name: 'x', url: r.url, events: [] }, 'body.events'],
      [{ name: 'x', url: r.url, events: 'contact.created' }, 'body.events'],
      [{ name: 'x', url: r.url }, 'body.events'],
      [{ name: '  ', url: r.url, events: ['*'] }, 'body.name'],
      [{ name: 'x', events: ['*'] }, 'body.url'],
    ];
    for (const [payload, field] of cases) {
      const res = await org.call({ method: 'POST', url: '/api/webhook-endpoints', payload });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({
        message: expect.stringContaining(field),
        status: 'error',
        code: 'validation_failed',
      });
    }
    const ep = await createEndpoint(org, { url: r.url });
    const patch = await org.call({
      method: 'PATCH',
      url: `/api/webhook-endpoints/${ep.id}`,
      payload: { events: ['message.sent', 'message.bounced'] },
    });
    expect(patch.statusCode).toBe(400);
    expect(patch.json().message).toContain('body.events.1');
    const list = await org.call({ method: 'GET', url: '/api/webhook-endpoints' });
    expect(list.json().data).toHaveLength(1);
    expect((await getEndpoint(org, ep.id)).events).toEqual(['*']);
  });

  it('updates name, url, events and status, and refuses an empty change', async () => {
    const org = await newOrg();
    const [r1, r2] = await Promise.all([receiver(), receiver()]);
    const ep = await createEndpoint(org, {
      name: 'One',
      url: `${r1.url}/one`,
      events: ['message.read'],
    });

    const renamed = await patchEndpoint(org, ep.id, { name: 'Two' });
    expect(renamed).toMatchObject({ name: 'Two', url: `${r1.url}/one`, events: ['message.read'] });
    expect(ms(renamed.updated_at)).toBeGreaterThanOrEqual(ms(ep.updated_at));
    expect(renamed.created_at).toBe(ep.created_at);

    const moved = await patchEndpoint(org, ep.id, {
      url: `${r2.url}/new`,
      events: ['contact.updated', 'contact.updated'],
    });
    expect(moved).toMatchObject({
      name: 'Two',
      url: `${r2.url}/new`,
      events: ['contact.updated'],
      status: 'active',
    });

    const disabled = await patchEndpoint(org, ep.id, { status: 'disabled' });
    expect(disabled).toMatchObject({ status: 'disabled', status_reason: null });
    expect(await getEndpoint(org, ep.id)).toEqual(disabled);
    const enabled = await patchEndpoint(org, ep.id, { status: 'active' });
    expect(enabled.status).toBe('active');

    const updated = await emit(org, { type: 'contact.updated', data: { id: 'c1' } });
    await emit(org, { type: 'message.read' });
    expect(r1.received).toHaveLength(0);
    expect(r2.received.map((h) => [h.path, h.headers['x-webhook-id']])).toEqual([
      ['/new', updated],
    ]);

    for (const payload of [{}, { name: undefined }]) {
      const empty = await org.call({
        method: 'PATCH',
        url: `/api/webhook-endpoints/${ep.id}`,
        payload,
      });
      expect(empty.statusCode).toBe(400);
      expect(empty.json().message).toContain('Nothing to update');
    }
    const badStatus = await org.call({
      method: 'PATCH',
      url: `/api/webhook-endpoints/${ep.id}`,
      payload: { status: 'failing' },
    });
    expect(badStatus.statusCode).toBe(400);
    expect(badStatus.json().message).toContain('body.status');

    const unknown = randomUUID();
    const missing = await org.call({
      method: 'PATCH',
      url: `/api/webhook-endpoints/${unknown}`,
      payload: { name: 'x' },
    });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({
      message: `Webhook endpoint '${unknown}' not found`,
      status: 'error',
      code: 'not_found',
    });
  });

  it('deletes an endpoint', async () => {
    const org = await newOrg();
    const r = await receiver();
    const keep = await createEndpoint(org, { url: r.url, name: 'keep' });
    const ep = await createEndpoint(org, { url: r.url, name: 'drop' });
    const del = await org.call({ method: 'DELETE', url: `/api/webhook-endpoints/${ep.id}` });
    expect(del.statusCode).toBe(200);
    expect(del.json()).toEqual({ data: { id: ep.id, deleted: true }, status: 'success' });

    const gone = await org.call({ method: 'GET', url: `/api/webhook-endpoints/${ep.id}` });
    expect(gone.statusCode).toBe(404);
    expect(gone.json()).toEqual({
      message: `Webhook endpoint '${ep.id}' not found`,
      status: 'error',
      code: 'not_found',
    });
    const again = await org.call({ method: 'DELETE', url: `/api/webhook-endpoints/${ep.id}` });
    expect(again.statusCode).toBe(404);
    const list = await org.call({ method: 'GET', url: '/api/webhook-endpoints' });
    expect(list.json().data.map((e: Endpoint) => e.id)).toEqual([keep.id]);

    const id = await emit(org);
    expect(r.received.map((h) => h.headers['x-webhook-id'])).toEqual([id]);
  });

  it('rotates the secret: later deliveries are signed with the new one only', async () => {
    const org = await newOrg();
    const r = await receiver();
    const ep = await createEndpoint(org, { url: r.url, events: ['message.read'] });
    const before = await emit(org);
    expect(new Webhook(ep.secret).verify(r.received[0]!.body, headersOf(r.received[0]!))).toEqual(
      JSON.parse(r.received[0]!.body),
    );

    const res = await org.call({
      method: 'POST',
      url: `/api/webhook-endpoints/${ep.id}/rotate-secret`,
    });
    expect(res.statusCode).toBe(200);
    const { id, secret } = res.json().data as { id: string; secret: string };
    expect(id).toBe(ep.id);
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(secret).not.toBe(ep.secret);
    const got = await org.call({ method: 'GET', url: `/api/webhook-endpoints/${ep.id}` });
    expect(got.body).not.toContain(secret);
    const [stored] = await raw.find('webhook_endpoints', { _id: ep.id });
    expect(String(stored!.secret_enc)).not.toContain(secret.slice('whsec_'.length));

    const after = await emit(org);
    expect(r.received.map((h) => h.headers['x-webhook-id'])).toEqual([before, after]);
    const hook = r.received[1]!;
    expect(new Webhook(secret).verify(hook.body, headersOf(hook))).toEqual(JSON.parse(hook.body));
    expect(() => new Webhook(ep.secret).verify(hook.body, headersOf(hook))).toThrow(
      WebhookVerificationError,
    );
    expect(plainSignatureMatches(secret, hook)).toBe(true);
    expect(plainSignatureMatches(ep.secret, hook)).toBe(false);

    const unknown = await org.call({
      method: 'POST',
      url: `/api/webhook-endpoints/${randomUUID()}/rotate-secret`,
    });
    expect(unknown.statusCode).toBe(404);
  });

  it('hides an endpoint from other organizations, which can neither read nor change it', async () => {
    const owner = await newOrg();
    const other = await newOrg();
    const r = await receiver();
    const ep = await createEndpoint(owner, { url: r.url, name: 'Mine', events: ['message.read'] });
    const delivered = await emit(owner);
    const base = `/api/webhook-endpoints/${ep.id}`;

    const attempts: InjectOptions[] = [
      { method: 'GET', url: base },
      { method: 'PATCH', url: base, payload: { name: 'Theirs', status: 'disabled' } },
      { method: 'POST', url: `${base}/rotate-secret` },
      { method: 'GET', url: `${base}/deliveries` },
      { method: 'GET', url: `${base}/deliveries/${delivered}` },
      { method: 'POST', url: `${base}/deliveries/${delivered}/replay` },
      { method: 'POST', url: `${base}/test` },
      { method: 'DELETE', url: base },
    ];
    for (const opts of attempts) {
      const res = await other.call(opts);
      expect([opts.method, opts.url, res.statusCode]).toEqual([opts.method, opts.url, 404]);
    }
    const theirs = await other.call({ method: 'GET', url: '/api/webhook-endpoints' });
    expect(theirs.json().data).toEqual([]);

    const { secret, ...view } = ep;
    expect(await getEndpoint(owner, ep.id)).toEqual(view);
    expect(r.received).toHaveLength(1);
    const next = await emit(owner);
    expect(r.received[1]!.headers['x-webhook-id']).toBe(next);
    expect(plainSignatureMatches(secret, r.received[1]!)).toBe(true);
  });
});

describe('destination policy', () => {
  let strict: TestApp;
  let strictOrg: Org;
  let existing: CreatedEndpoint;
  beforeAll(async () => {
    strict = await createTestApp({ env: RATE_LIMITS });
    strictOrg = await newOrg(strict);
    // A public address, so that no DNS is needed.
    existing = await createEndpoint(strictOrg, { url: 'https://93.184.215.14/hooks' });
  });
  afterAll(() => strict.close());

  const refused: [string, string | RegExp][] = [
    ['http://93.184.215.14/hooks', 'url must use https'],
    ['https://127.0.0.1/hooks', '127.0.0.1 is a loopback address'],
    ['https://10.0.0.1/', '10.0.0.1 is a private address'],
    ['https://169.254.169.254/latest/meta-data', '169.254.169.254 is the cloud metadata address'],
    ['https://[::1]/', '::1 is a loopback address'],
    ['https://[::ffff:127.0.0.1]/', /IPv4-mapped form of 127\.0\.0\.1, a loopback address/],
    ['https://localhost/', /^webhook host localhost resolves to .*a loopback address$/],
    ['https://user:secret@93.184.215.14/', 'url must not contain credentials'],
    ['https://0x7f.1/', '127.0.0.1 is a loopback address'],
    ['https://2130706433:8443/', '127.0.0.1 is a loopback address'],
    ['https://192.168.1.20/', '192.168.1.20 is a private address'],
    ['https://[fd00::1]/', /unique local/],
    ['ftp://93.184.215.14/', 'url must use https'],
    ['not a url', 'url is not a valid absolute URL'],
  ];

  it.each(refused)('refuses %s on create, saying why', async (url, reason) => {
    const res = await strictOrg.call({
      method: 'POST',
      url: '/api/webhook-endpoints',
      payload: { name: 'x', url, events: ['*'] },
    });
    expect(res.statusCode).toBe(400);
    const { message } = res.json<{ message: string }>();
    if (typeof reason === 'string') expect(message).toBe(reason);
    else expect(message).toMatch(reason);
  });

  it.each(refused)('refuses %s on update, keeping the old url', async (url, reason) => {
    const res = await strictOrg.call({
      method: 'PATCH',
      url: `/api/webhook-endpoints/${existing.id}`,
      payload: { url, name: 'renamed' },
    });
    expect(res.statusCode).toBe(400);
    const { message } = res.json<{ message: string }>();
    if (typeof reason === 'string') expect(message).toBe(reason);
    else expect(message).toMatch(reason);
    expect(await getEndpoint(strictOrg, existing.id)).toMatchObject({
      url: 'https://93.184.215.14/hooks',
      name: 'Hook',
    });
  });

  it('lists only what was accepted', async () => {
    const list = await strictOrg.call({ method: 'GET', url: '/api/webhook-endpoints' });
    expect(list.json().data.map((e: Endpoint) => e.url)).toEqual(['https://93.184.215.14/hooks']);
  });

  it('with the allow-list, permits 127.0.0.1 over http but not 127.0.0.2', async () => {
    const org = await newOrg();
    const ok = await createEndpoint(org, { url: 'http://127.0.0.1:9/allowed' });
    expect(ok.url).toBe('http://127.0.0.1:9/allowed');
    for (const url of ['http://127.0.0.2:9/', 'https://127.0.0.2:9/']) {
      const res = await org.call({
        method: 'POST',
        url: '/api/webhook-endpoints',
        payload: { name: 'x', url, events: ['*'] },
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().message).toBe('127.0.0.2 is a loopback address');
    }
    const moved = await org.call({
      method: 'PATCH',
      url: `/api/webhook-endpoints/${ok.id}`,
      payload: { url: 'http://127.0.0.2:9/' },
    });
    expect(moved.statusCode).toBe(400);
    expect(moved.json().message).toBe('127.0.0.2 is a loopback address');
    const ftp = await org.call({
      method: 'POST',
      url: '/api/webhook-endpoints',
      payload: { name: 'x', url: 'ftp://127.0.0.1/', events: ['*'] },
    });
    expect(ftp.statusCode).toBe(400);
    expect(ftp.json().message).toBe('url must use http or https');
  });

  it('does not follow a redirect to a private address', async () => {
    const org = await newOrg();
    const r = await receiver();
    const target = await countingServer('127.0.0.2');
    r.answer(() => ({ status: 302, headers: { location: target.url } }));
    const ep = await createEndpoint(org, { url: r.url, events: ['message.read'] });
    const id = await emit(org);

    expect(r.received).toHaveLength(1);
    const delivery = await deliveryOf(org, ep.id, id);
    expect(delivery).toMatchObject({
      state: 'retrying',
      attempts: [{ run: 0, attempt: 1, status_code: 302 }],
    });
    expect(delivery.attempts[0]!.error).toContain('redirect');
    expect(delivery.attempts[0]!.error).toContain(target.url);
    expect(target.hits).toEqual([]);
  });
});

describe('delivery', () => {
  it('signs each request so that Standard Webhooks and a plain HMAC both verify it', async () => {
    const org = await newOrg();
    const r = await receiver();
    const ep = await createEndpoint(org, {
      url: `${r.url}/hooks/waflow?tenant=7`,
      events: ['message.read'],
    });
    const data = { message_id: 'wamid.ABC', status: 'read', note: 'ünïcødé ✓ "quoted"' };
    const at = new Date('2024-02-03T04:05:06.789Z');
    // Event ids carry provider ids, which may hold base64's `/` and `+`.
    const id = await emit(org, { id: `message.read:wamid.AB/C+D==:${randomUUID()}`, data, at });

    expect(r.received).toHaveLength(1);
    const hook = r.received[0]!;
    expect(hook.path).toBe('/hooks/waflow?tenant=7');
    expect(hook.headers['content-type']).toBe('application/json');
    const body = JSON.parse(hook.body) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['data', 'event', 'timestamp']);
    expect(body).toEqual({ event: 'message.read', timestamp: at.toISOString(), data });

    expect(hook.headers['x-webhook-event']).toBe(body.event);
    expect(hook.headers['x-webhook-id']).toBe(id);
    expect(hook.headers['webhook-id']).toBe(id);
    const [delivery] = await deliveriesOf(org, ep.id);
    expect(delivery).toMatchObject({ id, event: 'message.read', state: 'delivered' });
    expect(await deliveryOf(org, ep.id, id)).toEqual(delivery);

    const headers = headersOf(hook);
    expect(new Webhook(ep.secret).verify(hook.body, headers)).toEqual(body);
    const tampered = hook.body.replace('wamid.ABC', 'wamid.ABD');
    expect(tampered).not.toBe(hook.body);
    expect(() => new Webhook(ep.secret).verify(tampered, headers)).toThrow(
      WebhookVerificationError,
    );
    expect(plainSignatureMatches(ep.secret, hook)).toBe(true);
    expect(plainSignatureMatches(ep.secret, { ...hook, body: tampered })).toBe(false);
  });

  it('fans out to every active endpoint subscribed, once each', async () => {
    const org = await newOrg();
    const [a, b, c, d] = await Promise.all([receiver(), receiver(), receiver(), receiver()]);
    const epA = await createEndpoint(org, { url: a.url, events: ['*'] });
    const epB = await createEndpoint(org, { url: b.url, events: ['contact.created'] });
    const epC = await createEndpoint(org, { url: c.url, events: ['message.read'] });
    const epD = await createEndpoint(org, { url: d.url, events: ['*'] });
    await patchEndpoint(org, epD.id, { status: 'disabled' });

    const created = await org.call({
      method: 'POST',
      url: '/api/contacts',
      payload: { phone_number: '+14155550123', name: 'Ada' },
    });
    expect(created.statusCode).toBe(201);
    const contactId = (created.json().data as { id: string }).id;
    await t.app.webhooks.dispatcher.drain();

    expect(a.received.map(eventOf)).toEqual(['contact.created']);
    expect(b.received.map(eventOf)).toEqual(['contact.created']);
    expect(c.received).toEqual([]);
    expect(d.received).toEqual([]);
    const [toA, toB] = [a.received[0]!, b.received[0]!];
    expect(JSON.parse(toA.body)).toMatchObject({ data: { id: contactId, name: 'Ada' } });
    expect(toB.body).toBe(toA.body);
    expect(toB.headers['x-webhook-id']).toBe(toA.headers['x-webhook-id']);
    expect(plainSignatureMatches(epA.secret, toA)).toBe(true);
    expect(plainSignatureMatches(epB.secret, toB)).toBe(true);

    const updated = await org.call({
      method: 'PUT',
      url: `/api/contacts/${contactId}`,
      payload: { name: 'Ada L.' },
    });
    expect(updated.statusCode).toBe(200);
    await t.app.webhooks.dispatcher.drain();
    expect(a.received.map(eventOf)).toEqual(['contact.created', 'contact.updated']);
    expect(b.received).toHaveLength(1);
    expect(c.received).toEqual([]);
    expect(d.received).toEqual([]);

    const listed = async (id: string) => (await deliveriesOf(org, id)).map((x) => x.event);
    expect(await listed(epA.id)).toEqual(['contact.updated', 'contact.created']);
    expect(await listed(epB.id)).toEqual(['contact.created']);
    expect(await listed(epC.id)).toEqual([]);
    expect(await listed(epD.id)).toEqual([]);
  });

  it('delivers an event once, however often it is recorded or dispatched', async () => {
    const org = await newOrg();
    const [r1, r2] = await Promise.all([receiver(), receiver()]);
    const ep1 = await createEndpoint(org, { url: r1.url, events: ['message.read'] });
    await createEndpoint(org, { url: r2.url, events: ['*'] });
    const id = `message.read:wamid.${randomUUID()}`;
    const { store, webhooks } = t.app;
    expect(await store.events.record(org.id, id, 'message.read', { n: 1 })).toBe(true);
    expect(await store.events.record(org.id, id, 'message.read', { n: 2 })).toBe(false);
    await webhooks.dispatcher.drain();
    expect(r1.received).toHaveLength(1);
    expect(r2.received).toHaveLength(1);

    const event = await store.events.get(id);
    expect(event).not.toBeNull();
    expect(await webhooks.dispatcher.dispatch([event!])).toBe(0);
    expect(await webhooks.dispatcher.dispatch([event!, event!])).toBe(0);
    await webhooks.dispatcher.drain();
    expect(r1.received).toHaveLength(1);
    expect(r2.received).toHaveLength(1);
    const deliveries = await deliveriesOf(org, ep1.id);
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]!.attempts).toHaveLength(1);
  });

  it('disables an endpoint that answers 410 until it is enabled again', async () => {
    const org = await newOrg();
    const r = await receiver();
    r.answer(() => ({ status: 410 }));
    const ep = await createEndpoint(org, { url: r.url, events: ['message.read'] });
    const first = await emit(org);
    expect(r.received).toHaveLength(1);

    const disabled = await getEndpoint(org, ep.id);
    expect(disabled.status).toBe('disabled');
    expect(disabled.status_reason).toContain('410');
    const [gone] = await deliveriesOf(org, ep.id);
    expect(gone).toMatchObject({
      id: first,
      state: 'failed',
      attempts: [{ run: 0, attempt: 1, status_code: 410 }],
      next_attempt_at: null,
    });
    // Nothing is retried after a 410.
    await expect(retryWorkflow(t, ep.id, first)).rejects.toBeInstanceOf(WorkflowNotFoundError);

    await emit(org);
    expect(r.received).toHaveLength(1);
    expect(await deliveriesOf(org, ep.id)).toHaveLength(1);

    r.answer(() => ({ status: 200 }));
    const enabled = await patchEndpoint(org, ep.id, { status: 'active' });
    expect(enabled).toMatchObject({ status: 'active', status_reason: null });
    const third = await emit(org);
    expect(r.received.map((h) => h.headers['x-webhook-id'])).toEqual([first, third]);
    const deliveries = await deliveriesOf(org, ep.id);
    expect(deliveries.map((x) => [x.id, x.state])).toEqual([
      [third, 'delivered'],
      [first, 'failed'],
    ]);
  });

  it('schedules a retry 10 s after a failed first attempt, in its workflow', async () => {
    const org = await newOrg();
    const r = await receiver();
    r.answer(() => ({ status: 500 }));
    const ep = await createEndpoint(org, { url: r.url, events: ['message.read'] });
    const id = await emit(org);
    expect(r.received).toHaveLength(1);

    const [delivery] = await deliveriesOf(org, ep.id);
    expect(delivery).toMatchObject({
      id,
      event: 'message.read',
      state: 'retrying',
      attempts: [{ run: 0, attempt: 1, status_code: 500, error: 'Answered HTTP 500' }],
    });
    const [attempt] = delivery!.attempts;
    expect(typeof attempt!.latency_ms).toBe('number');
    expect(attempt!.latency_ms).toBeGreaterThanOrEqual(0);
    const wait = ms(delivery!.next_attempt_at) - ms(attempt!.at);
    expect(wait).toBeGreaterThanOrEqual(10_000);
    expect(wait).toBeLessThan(15_000);
    expect(await deliveryOf(org, ep.id, id)).toEqual(delivery);
    // One failed attempt is not yet a failing endpoint.
    expect((await getEndpoint(org, ep.id)).status).toBe('active');

    const workflow = await retryWorkflow(t, ep.id, id);
    expect(workflow.status).toBe('RUNNING');
    expect(workflow.input).toEqual({
      orgId: org.id,
      endpointId: ep.id,
      eventId: id,
      eventType: 'message.read',
      body: r.received[0]!.body,
      run: 0,
      attempt: 2,
      waitMs: 10_000,
      retryDelaysMs: [10_000, 60_000, 300_000],
    });

    const replay = await org.call({
      method: 'POST',
      url: `/api/webhook-endpoints/${ep.id}/deliveries/${id}/replay`,
    });
    expect(replay.statusCode).toBe(409);
    expect(replay.json().message).toContain('still being retried');
  });

  const retryAfterCases: [number, string, number, number][] = [
    [503, '2', 2_000, 7_000],
    [429, '600', 10_000, 15_000],
    [429, new Date(Date.now() + 60 * 60_000).toUTCString(), 10_000, 15_000],
    // Only 429 and 503 say when to come back.
    [500, '2', 10_000, 15_000],
  ];
  it.each(retryAfterCases)(
    'after %i with Retry-After %s, waits at most the scheduled 10 s',
    async (status, retryAfter, minWait, maxWait) => {
      const org = await newOrg();
      const r = await receiver();
      r.answer(() => ({ status, headers: { 'retry-after': retryAfter } }));
      const ep = await createEndpoint(org, { url: r.url, events: ['message.read'] });
      const id = await emit(org);

      const delivery = await deliveryOf(org, ep.id, id);
      expect(delivery).toMatchObject({ state: 'retrying', attempts: [{ status_code: status }] });
      const wait = ms(delivery.next_attempt_at) - ms(delivery.attempts[0]!.at);
      expect(wait).toBeGreaterThanOrEqual(minWait);
      expect(wait).toBeLessThan(maxWait);
      const { input } = await retryWorkflow(t, ep.id, id);
      expect(input).toMatchObject({ attempt: 2, run: 0 });
      expect(input.waitMs).toBeGreaterThanOrEqual(minWait);
      expect(input.waitMs).toBeLessThanOrEqual(Math.min(maxWait, 10_000));
    },
  );
});

describe('410 while endpoints are cached', () => {
  // As in production: this process caches endpoints, and another process (the worker) changes
  // their status in the database without this cache knowing.
  let cached: TestApp;
  beforeAll(async () => {
    cached = await createTestApp({
      env: { ...LOCAL_DELIVERY, WEBHOOK_ENDPOINT_CACHE_MS: '60000' },
    });
  });
  afterAll(() => cached.close());

  it('disables an endpoint another process marked failing', async () => {
    const org = await newOrg(cached);
    const r = await receiver();
    const ep = await createEndpoint(org, { url: r.url, events: ['message.read'] });
    await emit(org);
    const { webhookEndpoints } = cached.app.store;
    expect(await webhookEndpoints.setStatus(ep.id, 'active', 'failing', 'from the worker')).toBe(
      true,
    );
    r.answer(() => ({ status: 410 }));
    await emit(org);
    expect(r.received).toHaveLength(2);
    const endpoint = await getEndpoint(org, ep.id);
    expect(endpoint.status).toBe('disabled');
    expect(endpoint.status_reason).toContain('410');
  });

  it('keeps a manual disable made in another process', async () => {
    const org = await newOrg(cached);
    const r = await receiver();
    const ep = await createEndpoint(org, { url: r.url, events: ['message.read'] });
    await emit(org);
    await cached.app.store.webhookEndpoints.update(org.id, ep.id, { status: 'disabled' });
    r.answer(() => ({ status: 410 }));
    await emit(org);
    expect(await getEndpoint(org, ep.id)).toMatchObject({
      status: 'disabled',
      status_reason: null,
    });
  });
});

describe('deliveries listing', () => {
  it('pages through every delivery once, newest first', async () => {
    const org = await newOrg();
    const [r, other] = await Promise.all([receiver(), receiver()]);
    const ep = await createEndpoint(org, { url: r.url, events: ['message.read'] });
    const unrelated = await createEndpoint(org, { url: other.url, events: ['contact.created'] });

    const singles: string[] = [];
    for (let i = 0; i < 3; i++) singles.push(await emit(org, { id: `page-single-${i}` }));
    // One batch shares one created_at, so pages are cut between equal times by id.
    const now = new Date();
    const batch: EventDoc[] = ['a', 'b', 'c', 'd', 'e'].map((s) => ({
      _id: `page-batch-${s}`,
      org_id: org.id,
      type: 'message.read',
      timestamp: now,
      data: { n: s },
      created_at: now,
    }));
    await raw.insert('events', batch);
    expect(await t.app.webhooks.dispatcher.dispatch(batch)).toBe(5);
    expect(r.received).toHaveLength(8);
    const expected = [...batch.map((e) => e._id).reverse(), ...[...singles].reverse()];

    const pages: Delivery[][] = [];
    let query = '?limit=3';
    for (;;) {
      const page = await deliveryPage(org, ep.id, query);
      pages.push(page.deliveries);
      expect(pages.length).toBeLessThan(5);
      if (!page.next_cursor) break;
      const last = page.deliveries.at(-1)!;
      expect(page.next_cursor).toEqual({ before_time: last.created_at, before_id: last.id });
      const { before_time, before_id } = page.next_cursor;
      query = `?limit=3&before_time=${encodeURIComponent(before_time)}&before_id=${encodeURIComponent(before_id)}`;
    }
    expect(pages.map((p) => p.length)).toEqual([3, 3, 2]);
    const listed = pages.flat();
    expect(listed.map((d) => d.id)).toEqual(expected);
    for (let i = 1; i < listed.length; i++) {
      expect(ms(listed[i]!.created_at)).toBeLessThanOrEqual(ms(listed[i - 1]!.created_at));
    }
    expect(listed.every((d) => d.state === 'delivered' && d.attempts.length === 1)).toBe(true);

    const one = await deliveryOf(org, ep.id, 'page-single-1');
    expect(one).toEqual(listed.find((d) => d.id === 'page-single-1'));
    expect(one.attempts[0]).toMatchObject({ run: 0, attempt: 1, status_code: 200, error: null });

    const notFound = [
      { call: org.call, url: `/api/webhook-endpoints/${ep.id}/deliveries/nope` },
      { call: org.call, url: `/api/webhook-endpoints/${unrelated.id}/deliveries/page-single-1` },
      { call: org.call, url: `/api/webhook-endpoints/${randomUUID()}/deliveries` },
      { call: org.call, url: `/api/webhook-endpoints/${randomUUID()}/deliveries/page-single-1` },
      {
        call: (await newOrg()).call,
        url: `/api/webhook-endpoints/${ep.id}/deliveries/page-single-1`,
      },
    ];
    for (const { call, url } of notFound) {
      const res = await call({ method: 'GET', url });
      expect([url, res.statusCode]).toEqual([url, 404]);
    }
    const nope = await org.call({
      method: 'GET',
      url: `/api/webhook-endpoints/${ep.id}/deliveries/nope`,
    });
    expect(nope.json().message).toBe("Delivery 'nope' not found for this endpoint");
    expect(await deliveriesOf(org, unrelated.id)).toEqual([]);

    const bad = [
      '?limit=0',
      '?limit=101',
      '?before_time=x&before_id=page-single-1',
      '?before_id=page-single-1',
      `?before_time=${encodeURIComponent(listed[0]!.created_at)}`,
    ];
    for (const query of bad) {
      const res = await org.call({
        method: 'GET',
        url: `/api/webhook-endpoints/${ep.id}/deliveries${query}`,
      });
      expect([query, res.statusCode]).toEqual([query, 400]);
    }
  });
});

describe('test event', () => {
  it('sends webhook.test to that endpoint only and answers with the attempt', async () => {
    const org = await newOrg();
    const [r, everything] = await Promise.all([receiver(), receiver()]);
    const ep = await createEndpoint(org, { url: r.url, events: ['contact.created'] });
    await createEndpoint(org, { url: everything.url, events: ['*'] });

    const res = await org.call({ method: 'POST', url: `/api/webhook-endpoints/${ep.id}/test` });
    expect(res.statusCode).toBe(200);
    const delivery: Delivery = res.json().data;
    expect(delivery).toMatchObject({
      event: 'webhook.test',
      state: 'delivered',
      attempts: [{ run: 0, attempt: 1, status_code: 200, error: null }],
      next_attempt_at: null,
    });
    expect(r.received).toHaveLength(1);
    const hook = r.received[0]!;
    expect(JSON.parse(hook.body)).toMatchObject({
      event: 'webhook.test',
      data: { endpoint_id: ep.id },
    });
    expect(hook.headers['x-webhook-event']).toBe('webhook.test');
    expect(hook.headers['x-webhook-id']).toBe(delivery.id);
    expect(new Webhook(ep.secret).verify(hook.body, headersOf(hook))).toBeTruthy();
    expect(await deliveryOf(org, ep.id, delivery.id)).toEqual(delivery);

    r.answer(() => ({ status: 500 }));
    const failed = await org.call({ method: 'POST', url: `/api/webhook-endpoints/${ep.id}/test` });
    expect(failed.statusCode).toBe(200);
    const retrying: Delivery = failed.json().data;
    expect(retrying).toMatchObject({
      event: 'webhook.test',
      state: 'retrying',
      attempts: [{ status_code: 500, error: 'Answered HTTP 500' }],
    });
    expect(retrying.id).not.toBe(delivery.id);
    expect(retrying.next_attempt_at).not.toBeNull();
    expect(r.received).toHaveLength(2);

    await t.app.webhooks.dispatcher.drain();
    expect(everything.received).toEqual([]);

    await patchEndpoint(org, ep.id, { status: 'disabled' });
    const refused = await org.call({ method: 'POST', url: `/api/webhook-endpoints/${ep.id}/test` });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().message).toContain('disabled');
    expect(r.received).toHaveLength(2);

    const unknown = await org.call({
      method: 'POST',
      url: `/api/webhook-endpoints/${randomUUID()}/test`,
    });
    expect(unknown.statusCode).toBe(404);
  });
});

describe('replay', () => {
  let rp: TestApp;
  let worker: TestWorker | undefined;
  let workerDatabase: StoreHandle | undefined;
  beforeAll(async () => {
    // An app of its own, so that its worker runs no retries left by the other tests.
    rp = await createTestApp({ env: LOCAL_DELIVERY });
    // The worker's own store, as in its own process.
    workerDatabase = await openStore(rp.app.config);
    worker = await startTestWorker(rp.app.config, workerDatabase);
  }, 120_000);
  afterAll(async () => {
    await worker?.stop();
    await workerDatabase?.close();
    await rp.close();
  });

  it('sends a delivery again as a new run with the same id and body, freshly signed', async () => {
    const org = await newOrg(rp);
    const r = await receiver();
    const ep = await createEndpoint(org, { url: r.url, events: ['message.read'] });
    const id = await emit(org);
    expect(r.received).toHaveLength(1);
    const first = r.received[0]!;
    // webhook-timestamp has whole seconds: a fresh one needs the next second.
    const firstSeconds = Number(first.headers['webhook-timestamp']);
    const untilNextSecond = (firstSeconds + 1) * 1000 - Date.now();
    if (untilNextSecond > 0) await sleep(untilNextSecond + 10);

    const res = await org.call({
      method: 'POST',
      url: `/api/webhook-endpoints/${ep.id}/deliveries/${id}/replay`,
    });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ data: { id, run: 1 }, status: 'success' });

    const second = (await r.waitFor(2, 30_000))[1]!;
    expect(second.body).toBe(first.body);
    expect(second.headers['x-webhook-id']).toBe(id);
    expect(second.headers['webhook-id']).toBe(id);
    expect(Number(second.headers['webhook-timestamp'])).toBeGreaterThan(firstSeconds);
    expect(second.headers['webhook-signature']).not.toBe(first.headers['webhook-signature']);
    expect(new Webhook(ep.secret).verify(second.body, headersOf(second))).toEqual(
      JSON.parse(first.body),
    );
    expect(plainSignatureMatches(ep.secret, second)).toBe(true);

    const handle = worker!.client.workflow.getHandle(webhookDeliveryWorkflowId(ep.id, id));
    expect(await handle.result()).toBe('delivered');
    const delivery = await deliveryOf(org, ep.id, id);
    expect(delivery.state).toBe('delivered');
    expect(delivery.attempts.map((a) => [a.run, a.attempt, a.status_code])).toEqual([
      [0, 1, 200],
      [1, 1, 200],
    ]);

    const again = await org.call({
      method: 'POST',
      url: `/api/webhook-endpoints/${ep.id}/deliveries/${id}/replay`,
    });
    expect(again.statusCode).toBe(202);
    expect(again.json().data).toEqual({ id, run: 2 });
    await r.waitFor(3, 30_000);
    const replayed = await eventually(async () => {
      const d = await deliveryOf(org, ep.id, id);
      expect(d.attempts).toHaveLength(3);
      return d;
    });
    expect(replayed.attempts.map((a) => a.run)).toEqual([0, 1, 2]);
  });

  it('refuses to replay to a disabled endpoint or an unknown delivery', async () => {
    const org = await newOrg(rp);
    const r = await receiver();
    const ep = await createEndpoint(org, { url: r.url, events: ['message.read'] });
    const id = await emit(org);
    await patchEndpoint(org, ep.id, { status: 'disabled' });

    const res = await org.call({
      method: 'POST',
      url: `/api/webhook-endpoints/${ep.id}/deliveries/${id}/replay`,
    });
    expect(res.statusCode).toBe(409);
    expect(res.json().message).toContain('disabled');
    const unknown = await org.call({
      method: 'POST',
      url: `/api/webhook-endpoints/${ep.id}/deliveries/nope/replay`,
    });
    expect(unknown.statusCode).toBe(404);

    await expect(
      worker!.client.workflow.getHandle(webhookDeliveryWorkflowId(ep.id, id)).describe(),
    ).rejects.toBeInstanceOf(WorkflowNotFoundError);
    expect(r.received).toHaveLength(1);
    expect((await deliveryOf(org, ep.id, id)).attempts).toHaveLength(1);
  });
});

it('documents the webhook endpoint routes in the OpenAPI description', async () => {
  const res = await t.app.inject({ method: 'GET', url: '/api/openapi.json' });
  expect(res.statusCode).toBe(200);
  const { paths } = res.json<{ paths: Record<string, Record<string, unknown>> }>();
  const expected: [string, string[]][] = [
    ['/api/webhook-endpoints', ['get', 'post']],
    ['/api/webhook-endpoints/{id}', ['delete', 'get', 'patch']],
    ['/api/webhook-endpoints/{id}/rotate-secret', ['post']],
    ['/api/webhook-endpoints/{id}/deliveries', ['get']],
    ['/api/webhook-endpoints/{id}/deliveries/{deliveryId}', ['get']],
    ['/api/webhook-endpoints/{id}/deliveries/{deliveryId}/replay', ['post']],
    ['/api/webhook-endpoints/{id}/test', ['post']],
  ];
  for (const [path, methods] of expected) {
    expect([path, Object.keys(paths[path] ?? {}).sort()]).toEqual([path, methods]);
  }
});

describe('Idempotency-Key on POST /api/webhook-endpoints', () => {
  const create = (org: Org, payload: object, key: string) =>
    org.call({
      method: 'POST',
      url: '/api/webhook-endpoints',
      payload: { name: 'Hook', events: ['*'], ...payload },
      headers: { 'idempotency-key': key },
    });

  it('answers a repeat with the first endpoint and its secret, and stores one', async () => {
    const org = await newOrg();
    const r = await receiver();
    const first = await create(org, { url: r.url }, 'crm-hook');
    expect(first.statusCode).toBe(201);
    const again = await create(org, { url: r.url }, 'crm-hook');
    expect(again.statusCode).toBe(201);
    expect(again.json()).toEqual(first.json());
    const list = await org.call({ method: 'GET', url: '/api/webhook-endpoints' });
    expect(list.json().data.map((e: Endpoint) => e.id)).toEqual([first.json().data.id]);
  });

  it('refuses the key with another request, and keeps keys per organization', async () => {
    const org = await newOrg();
    const r = await receiver();
    const first = await create(org, { url: r.url }, 'hook-1');
    expect(first.statusCode).toBe(201);
    const other = await create(org, { url: `${r.url}/other` }, 'hook-1');
    expect(other.statusCode).toBe(409);
    expect(other.json()).toEqual({
      message: "Idempotency-Key 'hook-1' was already used for a different request",
      status: 'error',
      code: 'idempotency_key_reused',
    });
    const theirs = await create(await newOrg(), { url: r.url }, 'hook-1');
    expect(theirs.statusCode).toBe(201);
    expect(theirs.json().data.id).not.toBe(first.json().data.id);
  });
});

import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { CounterBuffer } from '../../metrics/counter-buffer';
import { exposition } from '../../metrics/prometheus';
import type { CounterRepository, CounterSample } from '../../store/contract/counters';
import { createTestApp, type TestApp } from '../support/app';
import { openRawStore } from '../support/raw-store';
import { queuedMessage } from '../support/send-queue';
import { openTestStore, STORE_KINDS } from '../support/store';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

/** A CounterRepository in memory that can be told to fail. */
function fakeCounters() {
  const adds: CounterSample[][] = [];
  let failing = false;
  const repo: CounterRepository = {
    add(samples) {
      if (failing) return Promise.reject(new Error('database down'));
      adds.push(samples.map((s) => ({ ...s, labels: { ...s.labels } })));
      return Promise.resolve();
    },
    list: () => Promise.resolve([]),
  };
  return {
    repo,
    adds,
    fail(on: boolean) {
      failing = on;
    },
  };
}

const byName = (samples: CounterSample[]) =>
  [...samples].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

describe('CounterBuffer', () => {
  const buffers: CounterBuffer[] = [];
  afterEach(async () => {
    await Promise.all(buffers.splice(0).map((b) => b.close()));
  });
  const buffer = (repo: CounterRepository, intervalMs = 60_000) => {
    const b = new CounterBuffer(repo, { intervalMs });
    buffers.push(b);
    return b;
  };

  it('adds the deltas of each counter as one sample, whatever the order of its labels', async () => {
    const fake = fakeCounters();
    const b = buffer(fake.repo);
    b.inc('waflow_meta_errors_total', { account_id: 'a1', code: '131056' });
    b.inc('waflow_meta_errors_total', { code: '131056', account_id: 'a1' }, 2);
    b.inc('waflow_meta_errors_total', { account_id: 'a1', code: '130429' });
    b.inc('waflow_messages_sent_total', { account_id: 'a1' }, 5);
    await b.flush();
    expect(fake.adds).toHaveLength(1);
    expect(byName(fake.adds[0]!)).toEqual(
      byName([
        {
          name: 'waflow_meta_errors_total',
          labels: { account_id: 'a1', code: '131056' },
          value: 3,
        },
        {
          name: 'waflow_meta_errors_total',
          labels: { account_id: 'a1', code: '130429' },
          value: 1,
        },
        { name: 'waflow_messages_sent_total', labels: { account_id: 'a1' }, value: 5 },
      ]),
    );
    // Flushed deltas are gone: a flush with nothing new writes nothing.
    await b.flush();
    expect(fake.adds).toHaveLength(1);
  });

  it('flushes on its own every interval', async () => {
    const fake = fakeCounters();
    const b = buffer(fake.repo, 20);
    b.inc('waflow_messages_sent_total', { account_id: 'a1' });
    for (let i = 0; i < 100 && fake.adds.length === 0; i++) await sleep(10);
    expect(fake.adds).toEqual([
      [{ name: 'waflow_messages_sent_total', labels: { account_id: 'a1' }, value: 1 }],
    ]);
  });

  it('keeps the deltas of a failed flush, merged with later ones, for the next flush', async () => {
    const fake = fakeCounters();
    const b = buffer(fake.repo);
    b.inc('waflow_messages_sent_total', { account_id: 'a1' }, 2);
    fake.fail(true);
    await expect(b.flush()).rejects.toThrow('database down');
    b.inc('waflow_messages_sent_total', { account_id: 'a1' }, 3);
    b.inc('waflow_messages_sent_total', { account_id: 'a2' });
    await expect(b.flush()).rejects.toThrow('database down');
    // One sample per counter however many flushes failed: memory does not grow with them.
    expect(byName(b.pending())).toEqual(
      byName([
        { name: 'waflow_messages_sent_total', labels: { account_id: 'a1' }, value: 5 },
        { name: 'waflow_messages_sent_total', labels: { account_id: 'a2' }, value: 1 },
      ]),
    );
    fake.fail(false);
    await b.flush();
    expect(fake.adds.map(byName)).toEqual([
      byName([
        { name: 'waflow_messages_sent_total', labels: { account_id: 'a1' }, value: 5 },
        { name: 'waflow_messages_sent_total', labels: { account_id: 'a2' }, value: 1 },
      ]),
    ]);
    expect(b.pending()).toEqual([]);
  });

  it('counts what arrives during a flush in the next one', async () => {
    let release!: () => void;
    const adds: CounterSample[][] = [];
    const slow: CounterRepository = {
      async add(samples) {
        adds.push(samples.map((s) => ({ ...s })));
        if (adds.length === 1) await new Promise<void>((r) => (release = r));
      },
      list: () => Promise.resolve([]),
    };
    const b = buffer(slow);
    b.inc('c_total', {});
    const first = b.flush();
    b.inc('c_total', {}, 4);
    const second = b.flush();
    await sleep(10);
    expect(adds).toHaveLength(1);
    release();
    await Promise.all([first, second]);
    expect(adds.map((a) => a.map((s) => s.value))).toEqual([[1], [4]]);
  });

  it('flushes once more on close, then stops', async () => {
    const fake = fakeCounters();
    const b = buffer(fake.repo, 10);
    b.inc('c_total', { a: 'x' }, 7);
    await b.close();
    expect(fake.adds).toEqual([[{ name: 'c_total', labels: { a: 'x' }, value: 7 }]]);
    b.inc('c_total', { a: 'x' });
    await sleep(50);
    expect(fake.adds).toHaveLength(1);
  });

  it('does not throw from close when the last flush fails', async () => {
    const fake = fakeCounters();
    const b = buffer(fake.repo);
    b.inc('c_total', {});
    fake.fail(true);
    await expect(b.close()).resolves.toBeUndefined();
  });
});

describe('the Prometheus exposition', () => {
  it('escapes label values (backslash, double quote, newline) and help text', () => {
    const text = exposition([
      {
        name: 'waflow_x_total',
        help: 'Back\\slash and\nnewline',
        type: 'counter',
        samples: [{ labels: { code: 'a\\b"c\nd' }, value: 2 }],
      },
    ]);
    expect(text).toBe(
      '# HELP waflow_x_total Back\\\\slash and\\nnewline\n' +
        '# TYPE waflow_x_total counter\n' +
        'waflow_x_total{code="a\\\\b\\"c\\nd"} 2\n',
    );
  });

  it('leaves out what Prometheus could not parse', () => {
    const text = exposition([
      { name: 'bad name', type: 'counter', samples: [{ labels: {}, value: 1 }] },
      { name: 'ok_total', type: 'counter', samples: [{ labels: { 'bad-label': 'x' }, value: 1 }] },
    ]);
    expect(text).toBe('# TYPE ok_total counter\n');
  });
});

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({
    env: {
      RATE_LIMIT_PER_SECOND: '1000',
      RATE_LIMIT_PER_MINUTE: '100000',
      WEBHOOK_ALLOW_HTTP: 'true',
      WEBHOOK_ALLOWED_NETWORKS: '127.0.0.1/32',
      WEBHOOK_ENDPOINT_CACHE_MS: '0',
      METRICS_FLUSH_INTERVAL_MS: '50',
    },
  });
});
afterAll(() => t.close());

/** GET /metrics as Prometheus sends it: no API key. */
const scrape = (headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'GET', url: '/metrics', headers });

async function metricsText(): Promise<string> {
  const res = await scrape();
  expect(res.statusCode).toBe(200);
  return res.body;
}

/** The value of the sample line starting with `series` (name and labels), or null. */
function valueOf(text: string, series: string): number | null {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? null : Number(line.slice(series.length + 1));
}

const message = (orgId: string, accountId: string) => queuedMessage(orgId, accountId);

describe('GET /metrics', () => {
  it('answers the text format without an API key', async () => {
    const res = await scrape();
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.body).toContain('# TYPE waflow_send_queue_depth gauge\n');
    expect(res.body).toContain('# HELP waflow_inbound_webhook_lag_seconds ');
  });

  it('shows stored counters with their labels, escaped', async () => {
    const accountId = randomUUID();
    await t.app.store.counters.add([
      { name: 'waflow_messages_sent_total', labels: { account_id: accountId }, value: 3 },
      {
        name: 'waflow_meta_errors_total',
        labels: { account_id: accountId, code: 'quote" back\\ new\nline' },
        value: 2,
      },
    ]);
    await t.app.store.counters.add([
      { name: 'waflow_messages_sent_total', labels: { account_id: accountId }, value: 4 },
    ]);
    const text = await metricsText();
    expect(text).toContain('# TYPE waflow_messages_sent_total counter\n');
    expect(text).toContain('# HELP waflow_messages_sent_total ');
    expect(valueOf(text, `waflow_messages_sent_total{account_id="${accountId}"}`)).toBe(7);
    expect(
      valueOf(
        text,
        `waflow_meta_errors_total{account_id="${accountId}",code="quote\\" back\\\\ new\\nline"}`,
      ),
    ).toBe(2);
  });

  it("shows each number's queue depth by class and its current send rate", async () => {
    const [account] = await t.app.store.accounts.list(t.org.organization.id);
    const orgId = t.org.organization.id;
    const accountId = account!._id;
    const series = (cls: string) =>
      `waflow_send_queue_depth{account_id="${accountId}",class="${cls}"}`;

    const before = await metricsText();
    expect(valueOf(before, series('transactional'))).toBeNull();

    await t.app.store.sendQueue.enqueue(
      [message(orgId, accountId), message(orgId, accountId), message(orgId, accountId)],
      'transactional',
    );
    await t.app.store.sendQueue.enqueue([message(orgId, accountId)], 'bulk');
    const queued = await metricsText();
    expect(valueOf(queued, series('transactional'))).toBe(3);
    expect(valueOf(queued, series('bulk'))).toBe(1);

    const rate = `waflow_send_rate{account_id="${accountId}"}`;
    expect(await t.app.store.sendLanes.acquire(accountId, 'dispatcher-1', 60_000)).toBe(true);
    await t.app.store.sendLanes.report(accountId, 'dispatcher-1', 12.5);
    expect(valueOf(await metricsText(), rate)).toBe(12.5);
    // A released lane sends nothing, whatever its owner last reported.
    await t.app.store.sendLanes.release(accountId, 'dispatcher-1');
    expect(valueOf(await metricsText(), rate)).toBe(0);
  });

  it('shows how many inbound webhooks wait and how long the oldest has', async () => {
    const lag = 'waflow_inbound_webhook_lag_seconds';
    const pending = 'waflow_inbound_webhooks_pending';
    const idle = await metricsText();
    expect(valueOf(idle, lag)).toBe(0);
    expect(valueOf(idle, pending)).toBe(0);

    const [old, recent] = await t.app.store.inboundWebhooks.saveMany([
      { provider: 'meta', body: '{"old":true}' },
      { provider: 'meta', body: '{"recent":true}' },
    ]);
    const raw = openRawStore(t.app.config);
    try {
      await raw.update(
        'inbound_webhooks',
        { _id: old!._id },
        {
          received_at: new Date(Date.now() - 90_000),
        },
      );
    } finally {
      await raw.close();
    }
    const waiting = await metricsText();
    expect(valueOf(waiting, pending)).toBe(2);
    expect(valueOf(waiting, lag)).toBeGreaterThanOrEqual(90);
    expect(valueOf(waiting, lag)).toBeLessThan(120);

    await t.app.store.inboundWebhooks.markProcessed([old!._id, recent!._id]);
    const done = await metricsText();
    expect(valueOf(done, lag)).toBe(0);
    expect(valueOf(done, pending)).toBe(0);
  });

  it('shows how many inbound webhooks are parked dead', async () => {
    const dead = 'waflow_inbound_webhooks_dead';
    const before = await metricsText();
    expect(before).toContain(`# TYPE ${dead} gauge`);
    expect(valueOf(before, dead)).toBe(0);
    const [doc] = await t.app.store.inboundWebhooks.saveMany([{ provider: 'meta', body: '{}' }]);
    await t.app.store.inboundWebhooks.markDead(doc!._id, 'broken', [], new Date());
    expect(valueOf(await metricsText(), dead)).toBe(1);
  });

  it('counts outbound webhook attempts by organization and outcome', async () => {
    const receiver: WebhookReceiver = await startWebhookReceiver();
    try {
      const orgId = t.org.organization.id;
      const created = await t.call({
        method: 'POST',
        url: '/api/webhook-endpoints',
        payload: { name: 'Hook', url: `${receiver.url}/hook`, events: ['contact.created'] },
      });
      expect(created.statusCode).toBe(201);
      const contact = (n: number) =>
        t.call({
          method: 'POST',
          url: '/api/contacts',
          payload: { phone_number: `+1415555${String(1000 + n)}`, name: `C${n}` },
        });
      receiver.answer(() => ({ status: 200 }));
      expect((await contact(1)).statusCode).toBe(201);
      await receiver.waitFor(1);
      receiver.answer(() => ({ status: 500 }));
      expect((await contact(2)).statusCode).toBe(201);
      await receiver.waitFor(2);

      const delivered = `waflow_webhook_deliveries_total{org_id="${orgId}",outcome="delivered"}`;
      const retrying = `waflow_webhook_deliveries_total{org_id="${orgId}",outcome="retrying"}`;
      let text = '';
      for (let i = 0; i < 100; i++) {
        text = await metricsText();
        if (valueOf(text, delivered) !== null && valueOf(text, retrying) !== null) break;
        await sleep(50);
      }
      expect(text).toContain('# TYPE waflow_webhook_deliveries_total counter\n');
      expect(valueOf(text, delivered)).toBe(1);
      expect(valueOf(text, retrying)).toBe(1);
    } finally {
      await receiver.close();
    }
  });
});

describe('GET /metrics with METRICS_TOKEN', () => {
  let secured: TestApp;
  const token = 'metrics-s3cret-token';
  beforeAll(async () => {
    secured = await createTestApp({ env: { METRICS_TOKEN: token, RATE_LIMIT_PER_SECOND: '2' } });
  });
  afterAll(() => secured.close());

  const get = (headers: Record<string, string>) =>
    secured.app.inject({ method: 'GET', url: '/metrics', headers });

  it('answers only the bearer of the token', async () => {
    const refused: Record<string, string>[] = [
      {},
      { authorization: `Bearer ${token}x` },
      { authorization: `Basic ${Buffer.from(`x:${token}`).toString('base64')}` },
      { authorization: token },
      { 'x-api-key': secured.org.api_key.key },
    ];
    for (const headers of refused) {
      const res = await get(headers);
      expect({ headers, status: res.statusCode }).toEqual({ headers, status: 401 });
      expect(res.json()).toEqual({
        message: expect.stringContaining('Bearer'),
        status: 'error',
        code: 'unauthorized',
      });
    }
    const res = await get({ authorization: `Bearer ${token}` });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('# TYPE waflow_inbound_webhooks_pending gauge');
  });

  it('is outside the rate limit', async () => {
    // The limit is 2 a second: a scraper asking more often is never refused.
    for (let i = 0; i < 5; i++) {
      const res = await get({ authorization: `bearer ${token}` });
      expect(res.statusCode).toBe(200);
      expect(res.headers['x-ratelimit-limit']).toBeUndefined();
    }
  });
});

describe('the OpenAPI document', () => {
  it('describes /metrics as text, without API key security', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
    const op = doc.paths['/metrics'].get;
    expect(Object.keys(op.responses['200'].content)).toEqual(['text/plain; version=0.0.4']);
    expect(op.security).toEqual([]);
  });
});

describe.each(STORE_KINDS)('inboundWebhooks.pendingStats on %s', (kind) => {
  it('counts the webhooks still to process and finds the oldest', async () => {
    const { handle, store } = await openTestStore(kind);
    try {
      expect(await store.inboundWebhooks.pendingStats()).toEqual({
        count: 0,
        oldestReceivedAt: null,
      });
      const [first] = await store.inboundWebhooks.saveMany([{ provider: 'meta', body: '1' }]);
      await sleep(5);
      const [second, third] = await store.inboundWebhooks.saveMany([
        { provider: 'meta', body: '2' },
        { provider: 'meta', body: '3' },
      ]);
      expect(await store.inboundWebhooks.pendingStats()).toEqual({
        count: 3,
        oldestReceivedAt: first!.received_at,
      });
      // Processed, or parked dead after the last attempt: no longer waiting.
      await store.inboundWebhooks.markProcessed([second!._id]);
      await store.inboundWebhooks.markDead(first!._id, 'broken', [], new Date());
      expect(await store.inboundWebhooks.pendingStats()).toEqual({
        count: 1,
        oldestReceivedAt: third!.received_at,
      });
      expect(await store.inboundWebhooks.countDead()).toBe(1);
    } finally {
      await handle.close();
    }
  });
});

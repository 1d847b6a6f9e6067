import { createServer, type Server } from 'node:http';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { mapLimit } from '../../lib/concurrency';
import { freePort } from '../../scripts/infra';
import { WEBHOOK_RETRY_DELAYS_MS, webhookTaskQueue } from '../../workflows/definitions';
import { createMessagingHarness, type MessagingHarness } from '../support/messaging';
import { openRawStore, type RawStore } from '../support/raw-store';

/**
 * The issue's storm, on the real stack (API, worker, Temporal dev server, PostgreSQL, HTTP on
 * loopback): 200 endpoints whose port refuses connections, in 4 organizations, and 10,000
 * events. Each event goes to the 5 endpoints of its organization subscribed to its type:
 * 50,000 deliveries. 20 endpoints come back after a while, 10 are deleted, the other 170 stay
 * down until they are disabled (WEBHOOK_DISABLE_AFTER_HOURS, 40 s here).
 */
const ORGS = 4;
const ENDPOINTS_PER_ORG = 50;
const EVENTS = 10_000;
const TYPES = [
  'contact.created',
  'contact.updated',
  'message.sent',
  'message.delivered',
  'message.read',
  'message.incoming',
  'message.failed',
  'transfer.created',
  'campaign.completed',
  'sequence.completed',
] as const;
/** Of each organization's endpoints: the first come back, the next are deleted (10 in all). */
const RECOVERING_PER_ORG = 5;
const deletedIn = (org: number) => (org % 2 ? 3 : 2);
const CIRCUIT_FAILURES = 5;
const DISABLE_AFTER_MS = 40_000;
const COME_BACK_AFTER_MS = 15_000;
const DELETE_AFTER_MS = 5_000;

/**
 * The bound on running webhook workflows (README): per failing endpoint, its circuit and fewer
 * than CIRCUIT_FAILURES retry workflows per process that records events. Here one process (the
 * API) records them; the worker's retries find the circuit open and start nothing.
 */
const WORKFLOW_BOUND = ORGS * ENDPOINTS_PER_ORG * CIRCUIT_FAILURES;
const LATENCY_LIMIT_MS = 1_000;

jest.setTimeout(300_000);

let h: MessagingHarness;
let raw: RawStore;
let comeBack: Server | undefined;
let downPort: number;
let backPort: number;
/** What the endpoints that come back received, per path, in order. */
const arrived = new Map<string, string[]>();

beforeAll(async () => {
  [downPort, backPort] = [await freePort(), await freePort()];
  h = await createMessagingHarness({
    env: {
      WEBHOOK_ALLOW_HTTP: 'true',
      WEBHOOK_ALLOWED_NETWORKS: '127.0.0.1/32',
      WEBHOOK_CIRCUIT_FAILURES: String(CIRCUIT_FAILURES),
      WEBHOOK_PROBE_FIRST_SECONDS: '5',
      WEBHOOK_PROBE_MAX_SECONDS: '10',
      WEBHOOK_DISABLE_AFTER_HOURS: String(DISABLE_AFTER_MS / 3_600_000),
    },
  });
  raw = openRawStore(h.config);
  const sync = await h.call({ method: 'POST', url: '/api/templates/sync', payload: {} });
  expect(sync.statusCode).toBe(200);
}, 120_000);

afterAll(async () => {
  comeBack?.closeAllConnections();
  await new Promise((resolve) => (comeBack ? comeBack.close(resolve) : resolve(undefined)));
  await raw?.close();
  await h?.close();
});

interface Probe {
  at: number;
  readyMs: number;
  readyStatus: number;
  sendMs: number;
  sendStatus: number;
  error?: string;
  messageId?: string;
}

let numbers = 0;
async function probeApi(): Promise<Probe> {
  const at = performance.now();
  const ready = await h.app.inject({ method: 'GET', url: '/api/ready' });
  const readyMs = performance.now() - at;
  const sendAt = performance.now();
  const send = await h.call({
    method: 'POST',
    url: '/api/messages/send',
    payload: {
      to: `+1415556${String(numbers++).padStart(4, '0')}`,
      type: 'template',
      template: {
        name: 'order_confirmation',
        language: 'en',
        components: [
          {
            type: 'body',
            parameters: [
              { type: 'text', text: 'Ana' },
              { type: 'text', text: 'ORD-1' },
            ],
          },
        ],
      },
    },
  });
  return {
    at,
    readyMs,
    readyStatus: ready.statusCode,
    sendMs: performance.now() - sendAt,
    sendStatus: send.statusCode,
    ...(send.statusCode !== 200 && { error: String(send.json().message) }),
    messageId: send.json().data?.id,
  };
}

async function runningWebhookWorkflows(): Promise<{ retries: number; circuits: number }> {
  const q = `TaskQueue="${webhookTaskQueue(h.config.temporal.taskQueue)}" AND ExecutionStatus="Running"`;
  const [retries, circuits] = await Promise.all([
    h.worker.client.workflow.count(`${q} AND WorkflowId STARTS_WITH "webhook:"`),
    h.worker.client.workflow.count(`${q} AND WorkflowId STARTS_WITH "webhook-circuit:"`),
  ]);
  return { retries: retries.count, circuits: circuits.count };
}

/** Every (endpoint, event) delivery with its last outcome (run 0). */
async function lastOutcomes(): Promise<Map<string, string | undefined>> {
  const dispatches = await raw.find('webhook_dispatches');
  const attempts = await raw.find('webhook_attempts', { run: 0 });
  const last = new Map<string, { attempt: number; outcome: string }>();
  for (const a of attempts) {
    const key = `${String(a.endpoint_id)}:${String(a.event_id)}`;
    const seen = last.get(key);
    if (!seen || seen.attempt < Number(a.attempt)) {
      last.set(key, { attempt: Number(a.attempt), outcome: String(a.outcome) });
    }
  }
  const outcomes = new Map<string, string | undefined>();
  for (const d of dispatches) {
    for (const endpointId of d.endpoint_ids as string[]) {
      const key = `${endpointId}:${String(d._id)}`;
      outcomes.set(key, last.get(key)?.outcome);
    }
  }
  return outcomes;
}

it('keeps Temporal responsive and settles every delivery while 200 endpoints refuse', async () => {
  const loopDelay = monitorEventLoopDelay({ resolution: 20 });
  loopDelay.enable();
  const t0 = performance.now();
  const elapsed = () => Math.round(performance.now() - t0);
  const { store } = h.app;
  const orgIds = Array.from({ length: ORGS }, (_, i) => `storm-org-${i}-${Date.now()}`);
  const groups = { recovering: [] as string[], deleted: [] as string[], disabled: [] as string[] };
  const orgOf = new Map<string, string>();
  for (const [org, orgId] of orgIds.entries()) {
    for (let i = 0; i < ENDPOINTS_PER_ORG; i++) {
      const recovering = i < RECOVERING_PER_ORG;
      const { endpoint } = await store.webhookEndpoints.create(orgId, {
        name: `storm ${i}`,
        url: `http://127.0.0.1:${recovering ? backPort : downPort}/${orgId}/${i}`,
        events: [TYPES[i % TYPES.length]!],
      });
      orgOf.set(endpoint._id, orgId);
      const group = recovering
        ? 'recovering'
        : i < RECOVERING_PER_ORG + deletedIn(org)
          ? 'deleted'
          : 'disabled';
      groups[group].push(endpoint._id);
    }
  }

  // The monitor: running webhook workflows every 250 ms, the API every 500 ms.
  const samples: { at: number; retries: number; circuits: number }[] = [];
  const probes: Probe[] = [];
  let monitoring = true;
  const diag: unknown[] = [];
  const countLoop = (async () => {
    while (monitoring) {
      samples.push({ at: elapsed(), ...(await runningWebhookWorkflows()) });
      for (const [name, type] of [[webhookTaskQueue(h.config.temporal.taskQueue), 1], [webhookTaskQueue(h.config.temporal.taskQueue), 2], [h.config.temporal.taskQueue, 1]] as const) {
        const d = await h.worker.client.workflowService.describeTaskQueue({
          namespace: 'default',
          taskQueue: { name },
          taskQueueType: type,
          reportStats: true,
        });
        diag.push([elapsed(), name.endsWith('hooks') ? 'h' : 'm', type, String(d.stats?.approximateBacklogCount ?? ''), d.stats?.approximateBacklogAge?.seconds?.toString(), Math.round(d.stats?.tasksAddRate ?? 0), Math.round(d.stats?.tasksDispatchRate ?? 0), d.pollers?.length]);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  })();
  const apiLoop = (async () => {
    while (monitoring) {
      probes.push(await probeApi());
      await new Promise((r) => setTimeout(r, 500));
    }
  })();

  // 10,000 events, recorded as the API records them (its dispatcher fans them out).
  const recordStart = performance.now();
  await mapLimit(
    Array.from({ length: EVENTS }, (_, n) => n),
    16,
    async (n) => {
      const type = TYPES[n % TYPES.length]!;
      const orgId = orgIds[Math.floor(n / TYPES.length) % ORGS]!;
      await store.events.record(orgId, `storm:${n}`, type, { n });
    },
  );
  const recordedInMs = performance.now() - recordStart;

  // A few seconds in, some endpoints are deleted; later, some come back.
  const deletions = (async () => {
    await new Promise((r) => setTimeout(r, Math.max(0, DELETE_AFTER_MS - elapsed())));
    for (const id of groups.deleted) {
      expect(await store.webhookEndpoints.delete(orgOf.get(id)!, id)).toBe(true);
      h.app.webhooks.directory.invalidate(orgOf.get(id)!);
    }
  })();
  await new Promise((r) => setTimeout(r, Math.max(0, COME_BACK_AFTER_MS - elapsed())));
  comeBack = createServer((req, res) => {
    req.resume();
    const id = String(req.headers['x-webhook-id']);
    const list = arrived.get(req.url ?? '') ?? [];
    list.push(id);
    arrived.set(req.url ?? '', list);
    res.end('ok');
  });
  await new Promise<void>((resolve) => comeBack!.listen(backPort, '127.0.0.1', resolve));
  const backAt = elapsed();
  await deletions;

  // Settled: nothing parked, no webhook workflow running, every delivery at a final outcome.
  const deadline = DISABLE_AFTER_MS + 2 * WEBHOOK_RETRY_DELAYS_MS[0] + 60_000;
  let settledAt: number | undefined;
  while (elapsed() < deadline) {
    const parked = await raw.count('webhook_backlog');
    const last = samples.at(-1);
    if (!parked && last && last.retries + last.circuits === 0 && elapsed() - last.at < 500) {
      const outcomes = await lastOutcomes();
      if (
        [...outcomes.values()].every((o) => o === 'delivered' || o === 'failed' || o === 'skipped')
      ) {
        settledAt = elapsed();
        break;
      }
    }
    await new Promise((r) => setTimeout(r, 1_000));
  }
  monitoring = false;
  await Promise.all([countLoop, apiLoop]);
  loopDelay.disable();

  const outcomes = await lastOutcomes();
  const byGroup = (ids: string[]) => {
    const tally: Record<string, number> = {};
    const set = new Set(ids);
    for (const [key, outcome] of outcomes) {
      if (set.has(key.slice(0, 36))) tally[String(outcome)] = (tally[String(outcome)] ?? 0) + 1;
    }
    return tally;
  };
  const maxRunning = Math.max(...samples.map((s) => s.retries + s.circuits));
  const maxRetries = Math.max(...samples.map((s) => s.retries));
  const maxCircuits = Math.max(...samples.map((s) => s.circuits));
  const worst = (k: 'readyMs' | 'sendMs') => Math.round(Math.max(...probes.map((p) => p[k])));
  const p95 = (k: 'readyMs' | 'sendMs') => {
    const sorted = probes.map((p) => p[k]).sort((a, b) => a - b);
    return Math.round(sorted[Math.floor(sorted.length * 0.95)] ?? 0);
  };
  const figures = {
    deliveries: outcomes.size,
    recordedInMs: Math.round(recordedInMs),
    comeBackAtMs: backAt,
    settledAtMs: settledAt,
    maxRunning,
    maxRetries,
    maxCircuits,
    bound: WORKFLOW_BOUND,
    eventLoopDelayMaxMs: Math.round(loopDelay.max / 1e6),
    eventLoopDelayP99Ms: Math.round(loopDelay.percentile(99) / 1e6),
    apiProbes: probes.length,
    readyMaxMs: worst('readyMs'),
    readyP95Ms: p95('readyMs'),
    sendMaxMs: worst('sendMs'),
    sendP95Ms: p95('sendMs'),
    recovering: byGroup(groups.recovering),
    deleted: byGroup(groups.deleted),
    disabled: byGroup(groups.disabled),
  };
  console.log(`retry storm: ${JSON.stringify(figures)}`);
  console.log(
    `probes: ${JSON.stringify(probes.map((p) => [Math.round(p.at - t0), Math.round(p.readyMs), p.readyStatus, Math.round(p.sendMs), p.sendStatus, p.error ?? '']))}`,
  );
  console.log(`diag: ${JSON.stringify(diag)}`);
  console.log(`samples: ${JSON.stringify(samples.map((x) => [x.at, x.retries, x.circuits]))}`);
  const unsettled = new Set<string>();
  for (const [key, outcome] of outcomes) if (outcome === 'held' || outcome === 'retrying' || !outcome) unsettled.add(key.slice(0, 36));
  if (unsettled.size) {
    const activity = await raw.find('pg_stat_activity');
    console.log(`pg: ${JSON.stringify(activity.filter((a) => a.datname === 'waflow' && a.state !== 'idle').map((a) => [a.state, a.wait_event_type, a.wait_event, String(a.query).slice(0, 200), a.query_start]))}`);
    console.log(`pg idle: ${activity.filter((a) => a.datname === 'waflow' && a.state === 'idle').length} total ${activity.filter((a) => a.datname === 'waflow').length}`);
  }
  for (const id of [...unsettled].slice(0, 3)) {
    const handle = h.worker.client.workflow.getHandle(`webhook-circuit:${id}`);
    const d = await handle.describe().catch((e: unknown) => String(e));
    const events = (await handle.fetchHistory().catch(() => ({ events: [] }))).events ?? [];
    const t = (e: (typeof events)[number]) => Number(e.eventTime!.seconds) * 1000 + e.eventTime!.nanos! / 1e6;
    if (typeof d !== 'string') console.log(`pending ${id}: ${JSON.stringify(d.raw.pendingActivities)} ${JSON.stringify(d.raw.pendingWorkflowTask)}`);
    console.log(`unsettled ${id}: ${typeof d === 'string' ? d : d.status.name} parked=${await store.webhookBacklog.count(id)} ${JSON.stringify(await store.webhookEndpoints.get(orgOf.get(id)!, id))} ${events.map((e) => `${e.eventType}@${Math.round(t(e) - t0 - performance.timeOrigin)}`).join(' ')}`);
  }
  for (const p of probes.filter((x) => x.sendMs > 1000).slice(0, 4)) {
    const events = (
      await h.worker.client.workflow.getHandle(`message:${p.messageId}`).fetchHistory()
    ).events!;
    const t = (e: (typeof events)[number]) =>
      Number(e.eventTime!.seconds) * 1000 + e.eventTime!.nanos! / 1e6;
    const start = t(events[0]!);
    console.log(
      `send ${p.messageId}: ${events.map((e) => `${e.eventType}@${Math.round(t(e) - start)}`).join(' ')}`,
    );
  }

  expect(settledAt).toBeDefined();
  // Events fanned out after the deletions no longer go to the deleted endpoints.
  const perEndpoint = EVENTS / ORGS / TYPES.length;
  expect(outcomes.size).toBeLessThanOrEqual(EVENTS * (ENDPOINTS_PER_ORG / TYPES.length));
  expect(outcomes.size).toBeGreaterThan(
    EVENTS * (ENDPOINTS_PER_ORG / TYPES.length) - groups.deleted.length * perEndpoint,
  );
  expect(maxRunning).toBeLessThanOrEqual(WORKFLOW_BOUND);
  expect(probes.every((p) => p.readyStatus === 200 && p.sendStatus === 200)).toBe(true);
  expect(worst('readyMs')).toBeLessThan(LATENCY_LIMIT_MS);
  expect(worst('sendMs')).toBeLessThan(LATENCY_LIMIT_MS);

  // Endpoints that came back got everything, in order; deleted ones were skipped; the others
  // were disabled, with a reason, and their deliveries failed.
  expect(Object.keys(byGroup(groups.recovering))).toEqual(['delivered']);
  expect(Object.keys(byGroup(groups.deleted))).toEqual(['skipped']);
  expect(Object.keys(byGroup(groups.disabled))).toEqual(['failed']);
  const claimTimes = new Map(
    (await raw.find('webhook_dispatches')).map((d) => [
      String(d._id),
      (d.created_at as Date).getTime(),
    ]),
  );
  for (const id of groups.recovering) {
    const endpoint = (await store.webhookEndpoints.get(orgOf.get(id)!, id))!;
    expect(endpoint).toMatchObject({ status: 'active', failing_since: null });
    const path = new URL(endpoint.url).pathname;
    const got = arrived.get(path) ?? [];
    const inOrder = [...new Set(got)].sort(
      (a, b) => claimTimes.get(a)! - claimTimes.get(b)! || (a < b ? -1 : 1),
    );
    expect(got).toEqual(inOrder);
  }
  for (const id of groups.disabled) {
    const endpoint = (await store.webhookEndpoints.get(orgOf.get(id)!, id))!;
    expect(endpoint.status).toBe('disabled');
    expect(endpoint.status_reason).toMatch(/^Disabled after failing for 40 seconds since /);
  }
  const disabledEvents = await mapLimit(orgIds, 4, (orgId) =>
    store.events.list(orgId, { type: 'webhook_endpoint.disabled' }, 1_000),
  );
  expect(disabledEvents.flat()).toHaveLength(groups.disabled.length);
});

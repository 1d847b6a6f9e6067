import { createServer, type Server } from 'node:http';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { mapLimit } from '../../lib/concurrency';
import { freePort } from '../../scripts/infra';
import {
  DEFAULT_WEBHOOK_RETRY_DELAYS_MS,
  webhookTaskQueue,
} from '../../workflows/contracts/webhook-delivery';
import { createMessagingHarness, type MessagingHarness } from '../support/messaging';
import { openRawStore, type RawStore } from '../support/raw-store';
import { orderConfirmation } from '../support/send-queue';

/**
 * The storm, on the real stack (API, worker, Temporal dev server, PostgreSQL, HTTP on
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
 * The bound on running webhook workflows (README): one circuit per failing endpoint, and the
 * retry workflows started before an endpoint's circuit opened, at most 50 a second per process
 * (the dispatcher's retryStartsPerSecond); an open circuit ends its endpoint's retries at their
 * next attempt. Here: 200 circuits, and two seconds' worth of retries.
 */
const WORKFLOW_BOUND = ORGS * ENDPOINTS_PER_ORG + 2 * 50;

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
      // A volume test: on PostgreSQL whatever store the suite runs on, since the embedded
      // FerretDB reads whole collections for every query (its figures are in the README).
      WAFLOW_STORE: 'postgres',
      WEBHOOK_ALLOW_HTTP: 'true',
      WEBHOOK_ALLOWED_NETWORKS: '127.0.0.1/32',
      WEBHOOK_CIRCUIT_FAILURES: String(CIRCUIT_FAILURES),
      WEBHOOK_PROBE_FIRST_SECONDS: '8',
      WEBHOOK_PROBE_MAX_SECONDS: '16',
      WEBHOOK_DISABLE_AFTER_HOURS: String(DISABLE_AFTER_MS / 3_600_000),
    },
  });
  raw = openRawStore(h.config);
  const sync = await h.call({ method: 'POST', url: '/api/templates/sync', payload: {} });
  expect(sync.statusCode).toBe(200);
  // Warm, and the quiet figures to compare with.
  for (let i = 0; i < 5; i++) quiet.push(await probeApi());
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
}

let numbers = 0;
/** Before the storm. */
const quiet: Probe[] = [];
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
      template: orderConfirmation,
    },
  });
  return {
    at,
    readyMs,
    readyStatus: ready.statusCode,
    sendMs: performance.now() - sendAt,
    sendStatus: send.statusCode,
    ...(send.statusCode !== 200 && { error: String(send.json().message) }),
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

  // The monitor: running webhook workflows, and the API, every half second.
  const samples: { at: number; retries: number; circuits: number }[] = [];
  const probes: Probe[] = [];
  let monitoring = true;
  const countLoop = (async () => {
    while (monitoring) {
      samples.push({ at: elapsed(), ...(await runningWebhookWorkflows()) });
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
  // What waits for the endpoints that come back, before they do.
  const parkedBefore = new Map<string, Set<string>>();
  for (const id of groups.recovering) {
    const rows = await raw.find('webhook_backlog', { endpoint_id: id });
    parkedBefore.set(id, new Set(rows.map((r) => String(r.event_id))));
  }
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
  const deadline = DISABLE_AFTER_MS + 2 * DEFAULT_WEBHOOK_RETRY_DELAYS_MS[0] + 60_000;
  let settledAt: number | undefined;
  while (elapsed() < deadline) {
    const parked = await raw.count('webhook_backlog');
    const last = samples.at(-1);
    if (!parked && last && last.retries + last.circuits === 0 && elapsed() - last.at < 1_500) {
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
    quietReadyMaxMs: Math.round(Math.max(...quiet.map((p) => p.readyMs))),
    quietSendMaxMs: Math.round(Math.max(...quiet.map((p) => p.sendMs))),
    apiProbes: probes.length,
    readyMaxMs: worst('readyMs'),
    readyP95Ms: p95('readyMs'),
    sendMaxMs: worst('sendMs'),
    sendP95Ms: p95('sendMs'),
    recovering: byGroup(groups.recovering),
    deleted: byGroup(groups.deleted),
    disabled: byGroup(groups.disabled),
  };
  // Every 5 s: [from s, most running retries, most running circuits, slowest ready, slowest send].
  const timeline: number[][] = [];
  for (let from = 0; from < elapsed(); from += 5_000) {
    const inWindow = <T extends { at: number }>(xs: T[]) =>
      xs.filter((x) => x.at >= from && x.at < from + 5_000);
    const ps = probes
      .map((p) => ({ ...p, at: p.at - t0 }))
      .filter((p) => p.at >= from && p.at < from + 5_000);
    const ss = inWindow(samples);
    timeline.push([
      from / 1000,
      Math.max(0, ...ss.map((x) => x.retries)),
      Math.max(0, ...ss.map((x) => x.circuits)),
      Math.round(Math.max(0, ...ps.map((p) => p.readyMs))),
      Math.round(Math.max(0, ...ps.map((p) => p.sendMs))),
    ]);
  }
  console.log(`retry storm: ${JSON.stringify(figures)}\ntimeline: ${JSON.stringify(timeline)}`);
  // Where a delivery is still waiting, what its endpoint's circuit is doing.
  const waiting = new Set(
    [...outcomes]
      .filter(([, o]) => o === 'held' || o === 'retrying' || !o)
      .map(([k]) => k.slice(0, 36)),
  );
  for (const id of [...waiting].slice(0, 3)) {
    const circuit = h.worker.client.workflow.getHandle(`webhook-circuit:${id}`);
    const described = await circuit.describe().catch(() => null);
    const history = (await circuit.fetchHistory().catch(() => null))?.events ?? [];
    console.log(
      `waiting on ${id}: ${JSON.stringify(await store.webhookEndpoints.get(orgOf.get(id)!, id))}, ` +
        `circuit ${described?.status.name}, pending ${JSON.stringify(described?.raw.pendingActivities)}, ` +
        `history ${history.map((e) => e.eventType).join(',')}`,
    );
  }
  const failedProbes = probes.filter((p) => p.readyStatus !== 200 || p.sendStatus !== 200);
  expect(failedProbes).toEqual([]);

  expect(settledAt).toBeDefined();
  // Events fanned out after the deletions no longer go to the deleted endpoints.
  const perEndpoint = EVENTS / ORGS / TYPES.length;
  expect(outcomes.size).toBeLessThanOrEqual(EVENTS * (ENDPOINTS_PER_ORG / TYPES.length));
  expect(outcomes.size).toBeGreaterThan(
    EVENTS * (ENDPOINTS_PER_ORG / TYPES.length) - groups.deleted.length * perEndpoint,
  );
  expect(maxRunning).toBeLessThanOrEqual(WORKFLOW_BOUND);

  // Endpoints that came back got everything, their backlog oldest event first; deleted ones
  // were skipped; the others were disabled, with a reason, and their deliveries failed.
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
    const got = arrived.get(new URL(endpoint.url).pathname) ?? [];
    expect(new Set(got).size).toBe(got.length);
    // What waited in the backlog when the endpoint came back arrives in the order of the events.
    // A delivery whose own retry came later was parked during the release, or sent directly
    // after it: it cannot come in order.
    const parked = parkedBefore.get(id)!;
    const released = got.filter((e) => parked.has(e)).map((e) => claimTimes.get(e)!);
    expect(released.length).toBe(parked.size);
    expect(released.length).toBeGreaterThan(0.9 * got.length);
    expect(released).toEqual([...released].sort((a, b) => a - b));
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

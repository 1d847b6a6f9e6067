import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createMetaClient } from '../meta/client';
import { mapLimit } from '../lib/concurrency';
import { loadConfig } from '../lib/config';
import { openStore } from '../store';
import { inProcessSignals } from '../store/signals';
import { workflowStarter } from '../webhooks/engine';
import { createWebhookHttp } from '../webhooks/http';
import { webhookHeaders } from '../webhooks/signing';
import { startWorkerServices } from '../worker/services';
import { createWorker } from '../worker/worker';
import {
  CpuMeter,
  forkServer,
  loopbackUrl,
  parseFlags,
  positiveInt,
  row,
  runMain,
  serveChild,
  startInfrastructure,
  storeKind,
  type Resources,
} from './support';

const USAGE = `Usage: node dist/bench/webhooks.js [--duration <s>] [--endpoints <n>]
       [--producers <n>] [--connections <n>] [--workflow-deliveries <n>] [--store postgres|mongo]

Outbound webhook delivery to a local receiver (its own process): events are recorded the way
the engine records them (store.events.record), fanned out to --endpoints endpoints and POSTed,
signed. Measures deliveries per second and the time from recording an event to its first
attempt arriving at the receiver. Baselines in the same run: the same signed POSTs sent
directly (no engine, no database), and deliveries that each start a Temporal workflow. The
store is PostgreSQL (embedded unless DATABASE_URL is set) or, with --store mongo, FerretDB
(unless MONGODB_URI is set).`;

const GOAL_PER_SECOND = 500;
const DRAIN_TIMEOUT_MS = 120_000;

interface ReceiverStats {
  count: number;
  unique: number;
  p50: number;
  p99: number;
  first: number;
  last: number;
}

/** The receiver: answers 200 at once and measures each event's age on arrival. */
function serveReceiver() {
  serveChild<object, { port: number }>(async () => {
    const ages: number[] = [];
    const ids = new Set<string>();
    let first = 0;
    let last = 0;
    const server = createServer((req, res) => {
      if (req.method === 'GET') {
        const sorted = Float64Array.from(ages).sort();
        const at = (q: number) =>
          sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
        const stats: ReceiverStats = {
          count: ages.length,
          unique: ids.size,
          p50: at(0.5),
          p99: at(0.99),
          first,
          last,
        };
        res.end(JSON.stringify(stats));
        return;
      }
      if (req.method === 'DELETE') {
        ages.length = 0;
        ids.clear();
        res.end();
        return;
      }
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const now = Date.now();
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          data: { recorded_at: number };
        };
        ages.push(now - body.data.recorded_at);
        ids.add(`${req.url}:${String(req.headers['webhook-id'])}`);
        if (ages.length === 1) first = now;
        last = now;
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
      reply: { port: (server.address() as AddressInfo).port },
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  });
}

async function receiverStats(url: string): Promise<ReceiverStats> {
  return (await fetch(`${url}/_stats`)).json() as Promise<ReceiverStats>;
}

async function resetReceiver(url: string): Promise<void> {
  await fetch(`${url}/_stats`, { method: 'DELETE' });
}

/** Waits until the receiver has `count` deliveries (or gives up), then reads its figures. */
async function waitForDeliveries(url: string, count: number): Promise<ReceiverStats> {
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  for (;;) {
    const stats = await receiverStats(url);
    if (stats.count >= count || Date.now() > deadline) return stats;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Runs `fn` with `concurrency` loops for `seconds`; returns how many calls completed. */
async function forDuration(
  seconds: number,
  concurrency: number,
  fn: (n: number) => Promise<void>,
): Promise<number> {
  const until = Date.now() + seconds * 1000;
  let n = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < until) await fn(n++);
    }),
  );
  return n;
}

/** Calls `fn` `perSecond` times a second for `seconds`, whatever the answers' latency. */
async function atRate(
  seconds: number,
  perSecond: number,
  fn: (n: number) => Promise<void>,
): Promise<number> {
  const total = Math.round(seconds * perSecond);
  const started = performance.now();
  const calls: Promise<void>[] = [];
  for (let n = 0; n < total; n++) {
    const wait = started + (n * 1000) / perSecond - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    calls.push(fn(n));
  }
  await Promise.all(calls);
  return total;
}

interface Figures {
  deliveries: number;
  perSecond: number;
  p50: number;
  p99: number;
  cpu: Record<string, number>;
}

const fmt = (n: number, digits = 0) => n.toFixed(digits);

async function main(argv: string[], resources: Resources): Promise<number> {
  const flags = parseFlags(argv, {
    duration: '10',
    endpoints: '2',
    producers: '32',
    connections: '64',
    'workflow-deliveries': '600',
    store: 'postgres',
  });
  const duration = positiveInt(flags.duration, '--duration');
  const endpointCount = positiveInt(flags.endpoints, '--endpoints');
  const producers = positiveInt(flags.producers, '--producers');
  const connections = positiveInt(flags.connections, '--connections');
  const workflowDeliveries = positiveInt(flags['workflow-deliveries'], '--workflow-deliveries');

  const { env, servers } = await startInfrastructure(resources, {
    temporal: true,
    store: storeKind(flags.store),
    env: { WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_ALLOWED_NETWORKS: '127.0.0.1/32' },
  });
  const config = loadConfig(env);
  const receiver = await forkServer<{ port: number }>(
    resources,
    'receiver',
    __filename,
    ['serve'],
    {},
  );
  const receiverUrl = loopbackUrl(receiver.port);
  const metered = { engine: process.pid, ...servers, receiver: receiver.pid };
  const meter = new CpuMeter(metered);

  const database = await openStore(config);
  resources.add(() => database.close());
  const { store } = database;
  const { address, namespace, taskQueue } = config.temporal;
  const connection = await Connection.connect({ address });
  resources.add(() => connection.close());
  const client = new Client({ connection, namespace });
  const quiet = { warn() {}, error: (o: object, m: string) => console.error(m, o) };
  // A worker in the same process, as the worker process runs both: used by the workflow path.
  const nativeConnection = await NativeConnection.connect({ address });
  resources.add(() => nativeConnection.close());
  const meta = createMetaClient({ apiVersion: config.meta.apiVersion });
  resources.add(() => meta.close());
  const services = startWorkerServices({
    config,
    store,
    signals: inProcessSignals(),
    meta,
    client,
    log: quiet,
  });
  resources.add(() => services.close());
  const { webhooks: engine, activities } = services;
  const worker = await createWorker({
    connection: nativeConnection,
    namespace,
    taskQueue,
    activities,
  });
  const running = worker.run();
  resources.add(async () => {
    worker.shutdown();
    await running;
  });

  const org = await store.organizations.create('Bench');
  const endpoints = await mapLimit(
    Array.from({ length: endpointCount }, (_, i) => i),
    1,
    (i) =>
      store.webhookEndpoints.create(org._id, {
        name: `Receiver ${i}`,
        url: `${receiverUrl}/hooks/${i}`,
        events: ['*'],
      }),
  );
  const eventData = () => ({
    message_id: `wamid.${randomUUID()}`,
    to: '+919876543210',
    type: 'text',
    status: 'delivered',
    recorded_at: Date.now(),
  });

  async function measure(run: () => Promise<number>): Promise<Figures> {
    await resetReceiver(receiverUrl);
    const before = meter.read();
    const started = Date.now();
    const deliveries = await run();
    const stats = await waitForDeliveries(receiverUrl, deliveries);
    const cpu = CpuMeter.diff(before, meter.read());
    if (stats.count < deliveries || stats.unique < deliveries) {
      console.error(`  only ${stats.count} (${stats.unique} distinct) of ${deliveries} arrived`);
    }
    const seconds = (stats.last - started) / 1000;
    return { deliveries: stats.count, perSecond: stats.count / seconds, ...stats, cpu };
  }

  console.log(
    `Webhook delivery, ${duration} s per run, ${endpointCount} endpoints, receiver in its own process`,
  );

  // 1. The ceiling: signed POSTs straight to the receiver, nothing else.
  const http = createWebhookHttp(config.webhooks);
  resources.add(() => http.close());
  const { endpoint, secret } = endpoints[0]!;
  const direct = await measure(() =>
    forDuration(duration, connections, async (n) => {
      const body = JSON.stringify({ event: 'message.delivered', timestamp: '', data: eventData() });
      const headers = webhookHeaders(
        secret,
        { id: `direct-${n}`, type: 'message.delivered' },
        body,
        0,
      );
      const res = await http.post(endpoint.url, body, headers);
      if (res.status !== 200) throw new Error(`receiver answered ${res.status}`);
    }),
  );

  // 2. The engine: events recorded as the engine records them, delivered by the dispatcher.
  await forDuration(1, producers, async (n) => {
    await store.events.record(org._id, `warmup-${n}`, 'message.delivered', eventData());
  });
  await engine.dispatcher.drain();
  const viaEngine = await measure(async () => {
    const events = await forDuration(duration, producers, async (n) => {
      await store.events.record(org._id, `evt-${n}`, 'message.delivered', eventData());
    });
    return events * endpointCount;
  });

  // 3. The engine at the goal's rate: the latency a user sees when it is not saturated.
  const atGoal = await measure(async () => {
    const events = await atRate(duration, GOAL_PER_SECOND / endpointCount, async (n) => {
      await store.events.record(org._id, `paced-${n}`, 'message.delivered', eventData());
    });
    return events * endpointCount;
  });

  // 4. The alternative design: every delivery its own workflow from the first attempt.
  const start = workflowStarter(client, taskQueue);
  const viaWorkflows = await measure(async () => {
    const pairs = Array.from({ length: workflowDeliveries }, (_, n) => n);
    await mapLimit(pairs, connections, async (n) => {
      const target = endpoints[n % endpointCount]!.endpoint;
      const eventId = `wf-${n}`;
      const body = JSON.stringify({ event: 'message.delivered', timestamp: '', data: eventData() });
      await start({
        orgId: org._id,
        endpointId: target._id,
        eventId,
        eventType: 'message.delivered',
        body,
        run: 0,
        attempt: 1,
        waitMs: 0,
      });
    });
    return workflowDeliveries;
  });

  const cpuNames = Object.keys(metered);
  const cpuCells = (f: Figures) =>
    cpuNames.map((k) => fmt(((f.cpu[k] ?? 0) * 1000) / f.deliveries, 2));
  console.log('');
  console.log(`${' '.repeat(82)}CPU ms per delivery`);
  console.log(row(['run', 'deliveries', 'per s', 'p50 ms', 'p99 ms', ...cpuNames], 22, 12));
  for (const [name, f] of [
    ['direct POST (ceiling)', direct],
    ['engine, saturated', viaEngine],
    [`engine at ${GOAL_PER_SECOND}/s`, atGoal],
    ['workflow per delivery', viaWorkflows],
  ] as const) {
    console.log(
      row(
        [name, f.deliveries, fmt(f.perSecond), fmt(f.p50, 1), fmt(f.p99, 1), ...cpuCells(f)],
        22,
        12,
      ),
    );
  }
  console.log('');
  console.log(
    `engine / direct: ${fmt(viaEngine.perSecond / direct.perSecond, 3)}; ` +
      `engine / workflow per delivery: ${fmt(viaEngine.perSecond / viaWorkflows.perSecond, 1)}x; ` +
      `goal ${GOAL_PER_SECOND}/s: ${viaEngine.perSecond >= GOAL_PER_SECOND ? 'met' : 'NOT met'}` +
      `; "p50/p99 ms" is from recording an event to its first attempt reaching the receiver`,
  );
  return viaEngine.deliveries > 0 ? 0 : 1;
}

const [command] = process.argv.slice(2);
if (command === 'serve') serveReceiver();
else runMain(USAGE, main);

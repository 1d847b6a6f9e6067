import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import type pg from 'pg';
import { configEnv, loadConfig, type Env } from '../lib/config';
import { freePort } from '../scripts/infra';
import { startThrowawayPostgres } from '../scripts/postgres';
import { startTemporalServer, type TemporalServer } from '../scripts/temporal-server';
import { openStore, type Store } from '../store';
import {
  campaignEnv,
  number,
  printSetting,
  provision,
  runSetting,
  setUp,
  SETTINGS,
  syncTemplates,
  type SettingFigures,
} from './campaign';
import { configureGateways, createLinks, startGatewaySimulators, untilSent } from './payments';
import { call, dripSequence, seedSubscribers, subscribe, untilRunning } from './sequences';
import { benchEntry, type SimRequest } from './servers';
import {
  CpuMeter,
  fixed,
  forkServer,
  grouped,
  launchWorker,
  loopbackUrl,
  positiveInt,
  readCpu,
  row,
  sqlPool,
  startInfrastructure,
  sum,
  tail,
  UsageError,
  type Infrastructure,
  type Resources,
} from './support';
import { drainHandOffs, measure, signedBodies, wooShop, wooUrl } from './woocommerce';

const USAGE = `Usage: node dist/bench/topology.js [--duration <s>] [--only <part>[,<part>...]]

Puts the same load, in one run, on the Temporal CLI's dev server (SQLite; what \`npm start\` and
the other benchmarks use) and on the real Temporal server (v1.32.2, its four services in one
process) on PostgreSQL, each with an API and a worker process of its own (Waflow's data in one
PostgreSQL, a schema per server), and measures workflow starts a second and the Temporal CPU
per start: the server's process, and for the real server its PostgreSQL (a cluster of its own,
holding only Temporal's two databases, so that its CPU is Temporal's). Parts:
  woocommerce  signed order webhooks, each a new order, posted to the API with 50 connections:
               hand-offs (signal-with-start) a second, from the first post until all are
               handed off
  payments     payment links created through the API (half Razorpay on its simulator, half
               Stripe on stripe-mock): links a second until every one is created at its
               gateway and its message queued
  sequences    contacts subscribed in one call to a 5-step drip sequence: starts a second until
               every subscription's workflow runs
  campaign     an 80/s and a 1,000/s campaign (status webhooks on) on the real server with two
               worker processes: the steady send rate and its ratio to the cap
--duration (default 20) sizes the loads: about that many seconds of the dev server at the
rates the other benchmarks measured (40 hand-offs, 10 links, 72 subscriptions a second), and
each campaign sends cap x duration recipients. --only runs the named parts.`;

const PARTS = ['woocommerce', 'payments', 'sequences', 'campaign'] as const;
type Part = (typeof PARTS)[number];
type StartPart = Exclude<Part, 'campaign'>;

/** Starts a second of the dev server in the other benchmarks: --duration sizes the loads by them. */
const DEV_RATE: Record<StartPart, number> = { woocommerce: 40, payments: 10, sequences: 72 };
const LABELS: Record<StartPart, string> = {
  woocommerce: 'WooCommerce hand-offs',
  payments: 'payment links sent',
  sequences: 'sequence subscriptions',
};
const CAMPAIGN_SETTINGS = ['80/s', '1000/s'];
const WOO_CONNECTIONS = 50;
const POLL_MS = 250;
/** A slower server gets this many times the dev server's expected time before it is cut off. */
const TIMEOUT_FACTOR = 8;
const CAMPAIGN_DRAIN_MS = 60_000;
/**
 * Before a run, until the stack's processes idle (below this share of a core) or at most
 * SETTLE_MS: the workflows a run started go on (the dev server took a minute to finish
 * WooCommerce's), and their tail is not the next run's cost.
 */
const IDLE_CORES = 0.15;
const SETTLE_MS = 120_000;

function options(argv: string[]) {
  let values;
  try {
    values = parseArgs({
      args: argv,
      options: {
        duration: { type: 'string', default: '20' },
        only: { type: 'string' },
      },
    }).values;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const names = values.only?.split(',') ?? [...PARTS];
  const unknown = names.filter((n) => !(PARTS as readonly string[]).includes(n));
  if (unknown.length) {
    throw new UsageError(`--only: no part ${unknown.join(', ')} (parts: ${PARTS.join(', ')})`);
  }
  return {
    duration: positiveInt(values.duration, '--duration'),
    parts: PARTS.filter((p) => names.includes(p)),
  };
}

type ServerName = 'dev' | 'real';

/** One Temporal server with the API and worker that use it. */
interface Stack {
  server: ServerName;
  infra: Infrastructure;
  store: Store;
  sql: pg.Pool;
  orgId: string;
  key: string;
  apiUrl: string;
  meter: CpuMeter;
  /** The meter's names for Temporal's processes. */
  temporal: string[];
  workerLog: string;
  /** Stops its API and worker (the Temporal server stays up). */
  stop(): Promise<void>;
}

/** The processes metered per stack; `temporal db` is the real server's own PostgreSQL. */
const PROCESSES = ['api', 'worker', 'postgres', 'temporal', 'temporal db'];

async function startStack(
  resources: Resources,
  server: ServerName,
  o: { env: Env; real: { server: TemporalServer; dbPid: number } | null; postgresUrl?: string },
  gateways: Awaited<ReturnType<typeof startGatewaySimulators>>['razorpay'] | null,
): Promise<Stack> {
  const infra = await startInfrastructure(resources, {
    temporal: !o.real,
    temporalAddress: o.real?.server.address,
    postgresUrl: o.postgresUrl,
    store: 'postgres',
    env: o.env,
  });
  const { config } = infra;
  const database = await openStore(config);
  resources.add(() => database.close());
  const { store } = database;
  const { orgId, key } = await provision(store, config);
  if (gateways) await configureGateways(store, orgId, gateways);
  const worker = launchWorker(
    resources,
    { ...configEnv(config), LOG_LEVEL: infra.env.LOG_LEVEL, WORKER_PORT: '0' },
    infra.tmp,
  );
  const api = await forkServer<{ port: number }>(resources, 'API', __filename, ['serve', 'api'], {
    env: infra.env,
  });
  const apiUrl = loopbackUrl(api.port);
  await Promise.race([
    call(apiUrl, key, 'POST', '/api/templates/sync', {}),
    worker.exited.then((why) => Promise.reject(new Error(why))),
  ]);
  const servers = o.real
    ? { temporal: o.real.server.child.pid!, 'temporal db': { tree: o.real.dbPid } }
    : infra.servers;
  return {
    server,
    infra,
    store,
    sql: sqlPool(resources, config),
    orgId,
    key,
    apiUrl,
    meter: new CpuMeter({ ...servers, api: api.pid, worker: worker.pid }),
    temporal: o.real ? ['temporal', 'temporal db'] : ['temporal'],
    workerLog: worker.log,
    async stop() {
      await api.stop();
      await worker.stop();
    },
  };
}

/** What one part did on one server: `done` of `load` starts in `ms`, and the CPU it took. */
interface Run {
  load: number;
  done: number;
  ms: number;
  cpu: Record<string, number>;
  wrong: number;
}

const rate = (r: Run) => (r.done * 1000) / r.ms;
const temporalMs = (s: Stack, r: Run, names = s.temporal) =>
  (sum(names.map((n) => r.cpu[n] ?? 0)) * 1000) / r.done;

/** Waits until the stack's processes idle: how long it waited, and whether they did. */
async function settle(s: Stack) {
  const names = ['api', 'worker', ...s.temporal];
  const start = Date.now();
  let before = s.meter.read();
  while (Date.now() - start < SETTLE_MS) {
    await sleep(1_000);
    const after = s.meter.read();
    const used = sum(names.map((n) => (after[n] ?? 0) - (before[n] ?? 0)));
    if (used < IDLE_CORES) return { ms: Date.now() - start, idle: true };
    before = after;
  }
  return { ms: Date.now() - start, idle: false };
}

async function woocommerce(s: Stack, load: number, timeoutMs: number) {
  const shop = await wooShop(s.store, s.orgId);
  const pool = signedBodies(shop.secret, load);
  const started = Date.now();
  const posted = await measure(wooUrl(s.apiUrl, shop.id), pool, { n: 0 }, WOO_CONNECTIONS, {
    amount: load,
  });
  const drained = await drainHandOffs(s.store, timeoutMs - (Date.now() - started), POLL_MS);
  const wrong = posted.wrong + posted.figures.non2xx + posted.figures.errors;
  return { done: load - drained.left - wrong, ms: drained.at - started, wrong };
}

async function payments(s: Stack, load: number, timeoutMs: number) {
  const started = Date.now();
  const ids = await createLinks(s.apiUrl, s.key, load);
  const sent = await untilSent(s.store, s.orgId, ids, started + timeoutMs, POLL_MS);
  return { done: sent, ms: Date.now() - started, wrong: 0 };
}

async function sequences(s: Stack, load: number, timeoutMs: number) {
  const contacts = await seedSubscribers(s.sql, s.orgId, load);
  const sequence = await dripSequence(s.apiUrl, s.key);
  const posted = Date.now();
  const { subscribed } = await subscribe(s.apiUrl, s.key, sequence.id, contacts);
  const r = await untilRunning(s.sql, sequence.id, subscribed, posted, timeoutMs);
  return { done: r.running, ms: Date.now() - posted, wrong: load - subscribed };
}

const LOADS = { woocommerce, payments, sequences };

async function runPart(part: StartPart, s: Stack, load: number, duration: number): Promise<Run> {
  const settled = await settle(s);
  const before = readCpu(s.meter);
  const r = await LOADS[part](s, load, duration * 1000 * TIMEOUT_FACTOR);
  const cpu = CpuMeter.diff(before, readCpu(s.meter));
  const run = { load, ...r, cpu };
  const own = sum(PROCESSES.map((p) => cpu[p] ?? 0));
  const cores = (seconds: number) => (seconds * 1000) / (r.ms * availableParallelism());
  console.log(
    `${LABELS[part].padEnd(24)}${s.server.padEnd(6)}${grouped(r.done)}/${grouped(load)} in ` +
      `${fixed(r.ms / 1000, 1)} s: ${fixed(rate(run), 1)}/s; CPU ms per start ` +
      PROCESSES.filter((p) => cpu[p] !== undefined)
        .map((p) => `${p} ${fixed(((cpu[p] ?? 0) * 1000) / r.done, 2)}`)
        .join(', ') +
      `; cores busy ${fixed(cores(own) * 100)}%, machine ${fixed(cores(cpu.machine!) * 100)}%` +
      `; the previous run's work ${settled.idle ? 'done' : 'STILL RUNNING'} after ` +
      `${fixed(settled.ms / 1000)} s`,
  );
  return run;
}

async function campaign(
  resources: Resources,
  real: { server: TemporalServer; dbPid: number },
  duration: number,
  postgresUrl: string | undefined,
): Promise<SettingFigures[]> {
  const infra = await startInfrastructure(resources, {
    temporal: false,
    temporalAddress: real.server.address,
    postgresUrl,
    store: 'postgres',
    env: { ...(await campaignEnv()), WORKER_PORT: '0' },
  });
  Object.assign(infra.servers, {
    temporal: real.server.child.pid!,
    'temporal db': { tree: real.dbPid },
  });
  const { b, worker } = await setUp(
    resources,
    { drainMs: CAMPAIGN_DRAIN_MS, workerNodeOptions: undefined, profile: false },
    infra,
    2,
  );
  const settings = SETTINGS.filter((s) => CAMPAIGN_SETTINGS.includes(s.name));
  const accounts = await Promise.all(settings.map((s) => number(b, s)));
  await syncTemplates(b, worker.exited);
  const all: SettingFigures[] = [];
  for (const [i, s] of settings.entries()) {
    const f = await runSetting(b, s, accounts[i]!, s.cap * duration);
    printSetting(f);
    all.push(f);
  }
  return all;
}

function printSummary(
  runs: Map<StartPart, Record<ServerName, Run>>,
  stacks: Record<ServerName, Stack> | null,
  campaigns: SettingFigures[],
  command: string,
) {
  if (stacks && runs.size) {
    console.log(
      `\nWorkflow starts a second, and Temporal CPU ms per start (real: the server + its ` +
        `PostgreSQL), same load on each server`,
    );
    console.log(
      row(
        [
          '',
          'load',
          'dev/s',
          'real/s',
          'real/dev',
          'dev ms',
          'real ms',
          '(server',
          '+ db)',
          'real/dev',
        ],
        24,
        9,
      ),
    );
    for (const [part, r] of runs) {
      const dev = temporalMs(stacks.dev, r.dev);
      const real = temporalMs(stacks.real, r.real);
      console.log(
        row(
          [
            LABELS[part],
            grouped(r.dev.load),
            fixed(rate(r.dev), 1),
            fixed(rate(r.real), 1),
            fixed(rate(r.real) / rate(r.dev), 2),
            fixed(dev, 2),
            fixed(real, 2),
            fixed(temporalMs(stacks.real, r.real, ['temporal']), 2),
            fixed(temporalMs(stacks.real, r.real, ['temporal db']), 2),
            fixed(real / dev, 2),
          ],
          24,
          9,
        ),
      );
    }
  }
  if (campaigns.length) {
    console.log(`\nCampaigns on the real server, two workers (machine: how busy the cores were)`);
    const cells = ['', 'recipients', 'sent/s', 'rate / cap', 'machine', 'dup / lost'];
    console.log(row(cells, 10, 12));
    for (const f of campaigns) {
      console.log(
        row(
          [
            f.setting.name,
            grouped(f.counts.total ?? NaN),
            fixed(f.sends.rate, 1),
            fixed(f.sends.rate / f.setting.cap, 3),
            `${fixed(f.cpu.machineBusy * 100)}%`,
            `${f.sends.duplicates} / ${f.sends.lost}`,
          ],
          10,
          12,
        ),
      );
    }
  }
  console.log(`\nCommand: ${command}`);
}

async function main(argv: string[], resources: Resources): Promise<number> {
  const o = options(argv);
  const startParts = o.parts.filter((p): p is StartPart => p !== 'campaign');
  const tmp = resources.tmpDir('waflow-topology-');
  // As root, PostgreSQL runs as an unprivileged user, who must reach its cluster in here.
  chmodSync(tmp, 0o711);
  // One key for every stack: the sandbox's simulator credentials derive from it.
  const encryptionKey = randomBytes(32).toString('base64');
  const { cacheDir, temporal, meta } = loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: tmp,
    ENCRYPTION_KEY: encryptionKey,
  });
  console.log(
    `On ${availableParallelism()} cores shared with other work (load average ` +
      `${loadavg()[0]!.toFixed(1)} at the start); --duration ${o.duration}.\n`,
  );

  const temporalDb = await startThrowawayPostgres({ cacheDir, dir: tmp });
  resources.managed(temporalDb.proc);
  const serverDir = join(tmp, 'temporal-server');
  mkdirSync(serverDir);
  const server = await startTemporalServer({
    cacheDir,
    dir: serverDir,
    postgresUrl: temporalDb.url,
    namespace: temporal.namespace,
  });
  resources.managed(server);
  const real = { server, dbPid: temporalDb.proc.child.pid! };

  let stacks: Record<ServerName, Stack> | null = null;
  const runs = new Map<StartPart, Record<ServerName, Run>>();
  if (startParts.length) {
    const gateways = startParts.includes('payments')
      ? await startGatewaySimulators(resources, cacheDir, tmp)
      : null;
    const simPort = await freePort();
    await forkServer<{ port: number }>(
      resources,
      'Meta simulator',
      __filename,
      ['serve', 'simulator'],
      {
        port: simPort,
        accessToken: meta.simulator.accessToken,
        appSecret: meta.simulator.appSecret,
      } satisfies SimRequest,
    );
    const env: Env = {
      ENCRYPTION_KEY: encryptionKey,
      SANDBOX_MODE: 'true',
      META_SIMULATOR_URL: loopbackUrl(simPort),
      LOG_LEVEL: 'warn',
      RATE_LIMIT_PER_SECOND: '1000000',
      RATE_LIMIT_PER_MINUTE: '100000000',
      ...gateways?.env,
    };
    const dev = await startStack(resources, 'dev', { env, real: null }, gateways?.razorpay ?? null);
    stacks = {
      dev,
      real: await startStack(
        resources,
        'real',
        { env, real, postgresUrl: dev.infra.env.DATABASE_URL },
        gateways?.razorpay ?? null,
      ),
    };
    for (const part of startParts) {
      const load = DEV_RATE[part] * o.duration;
      runs.set(part, {
        dev: await runPart(part, stacks.dev, load, o.duration),
        real: await runPart(part, stacks.real, load, o.duration),
      });
    }
  }

  // The campaign's two workers must be the only ones polling the real server's task queues.
  for (const s of Object.values(stacks ?? {})) await s.stop();
  const campaigns = o.parts.includes('campaign')
    ? await campaign(resources, real, o.duration, stacks?.dev.infra.env.DATABASE_URL)
    : [];
  printSummary(runs, stacks, campaigns, ['node dist/bench/topology.js', ...argv].join(' '));
  console.log(`(load average ${loadavg()[0]!.toFixed(1)} at the end)`);

  const unfinished = [...runs.values()]
    .flatMap((r) => [r.dev, r.real])
    .some((r) => r.done < r.load);
  const broken = campaigns.some(
    (f) => f.status !== 'completed' || f.sends.duplicates + f.sends.lost + f.sends.unknown > 0,
  );
  if (unfinished && stacks) {
    for (const s of Object.values(stacks)) {
      console.log(`\nWorker log on the ${s.server} server (last lines):\n${tail(s.workerLog)}`);
    }
  }
  return unfinished || broken ? 1 : 0;
}

benchEntry(USAGE, main);

import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import {
  chmodSync,
  createWriteStream,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import type { AddressInfo } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import type autocannon from 'autocannon';
import type { FastifyInstance } from 'fastify';
import { MongoClient } from 'mongodb';
import pg from 'pg';
import { configEnv, loadConfig, type Config, type Env } from '../lib/config';
import {
  binPath,
  freePort,
  launch,
  startFerret,
  startTemporal,
  waitForTemporal,
  type Managed,
} from '../scripts/infra';
import { startThrowawayPostgres } from '../scripts/postgres';
import { WORKER_ENV, WORKER_NODE_FLAGS } from '../worker/process';

/** Shared by the benchmarks: flags, processes, embedded servers, autocannon figures. */

export class UsageError extends Error {}

export function positiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${flag} must be a positive integer`);
  return n;
}

/** String flags with defaults, parsed strictly; a bad flag is a usage error. */
export function parseFlags<K extends string>(
  argv: string[],
  defaults: Record<K, string>,
): Record<K, string> {
  const options: Record<string, { type: 'string'; default: string }> = {};
  for (const [name, value] of Object.entries<string>(defaults)) {
    options[name] = { type: 'string', default: value };
  }
  try {
    return parseArgs({ args: argv, options }).values as Record<K, string>;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export interface Figures {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

export const figuresOf = (r: autocannon.Result): Figures => ({
  rps: r.requests.average,
  p50: r.latency.p50,
  p99: r.latency.p99,
  non2xx: r.non2xx,
  errors: r.errors,
});

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Medians of the rates and latencies; non-2xx and errors are totals. */
export function summarize(rounds: Figures[]): Figures {
  const sum = (f: (r: Figures) => number) => rounds.reduce((acc, r) => acc + f(r), 0);
  return {
    rps: median(rounds.map((r) => r.rps)),
    p50: median(rounds.map((r) => r.p50)),
    p99: median(rounds.map((r) => r.p99)),
    non2xx: sum((r) => r.non2xx),
    errors: sum((r) => r.errors),
  };
}

/** A table row: the first cell left-aligned in `first` columns, the others right in `width`. */
/** A figure with `digits` decimals; '-' when there is none. */
export const fixed = (x: number, digits = 0) => (Number.isFinite(x) ? x.toFixed(digits) : '-');
/** A whole figure with thousands separators; '-' when there is none. */
export const grouped = (x: number) =>
  Number.isFinite(x) ? Math.round(x).toLocaleString('en') : '-';

export const row = (cells: (string | number)[], first = 8, width = 10) =>
  cells.map((c, i) => (i === 0 ? String(c).padEnd(first) : String(c).padStart(width))).join('');

/**
 * What a benchmark started and must stop: child processes and embedded servers, stopped in
 * reverse order (clients before the servers they use), and temporary folders.
 */
export class Resources {
  private readonly stops: (() => Promise<void>)[] = [];
  private closing: Promise<void> | null = null;

  add(stop: () => Promise<void>): void {
    this.stops.push(stop);
  }

  managed(m: Managed): Managed {
    this.add(() => m.stop());
    return m;
  }

  child(child: ChildProcess): ChildProcess {
    this.add(() => stopChild(child));
    return child;
  }

  tmpDir(prefix: string): string {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    this.add(async () => rmSync(dir, { recursive: true, force: true }));
    return dir;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const stop of this.stops.splice(0).reverse()) {
        await stop().catch((err: unknown) => console.error(err));
      }
    })();
    return this.closing;
  }
}

/** Stops a forked child: disconnecting is its signal to close; killed if it lingers. */
export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    if (child.connected) child.disconnect();
    else child.kill('SIGTERM');
  });
}

/**
 * Forks `script` with `args`, sends it `request` over IPC and resolves with its first message
 * (typically the port it listens on). Output goes to `logFile` when given.
 */
export function forkServer<Reply>(
  resources: Resources,
  name: string,
  script: string,
  args: string[],
  request: unknown,
  { logFile, execArgv }: { logFile?: string; execArgv?: string[] } = {},
): Promise<Reply & { pid: number; stop(): Promise<void> }> {
  const child = resources.child(
    fork(script, args, {
      stdio: logFile ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv: [...process.execArgv, ...(execArgv ?? [])],
    }),
  );
  if (logFile) pipeToFile(child, logFile);
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null, signal: string | null) =>
      reject(new Error(`The ${name} exited (${signal ?? code}) before it was ready`));
    child.once('exit', onExit);
    child.once('message', (m) => {
      child.off('exit', onExit);
      resolve({ ...(m as Reply), pid: child.pid!, stop: () => stopChild(child) });
    });
    child.send(request as object);
  });
}

function pipeToFile(child: ChildProcess, file: string) {
  const log = createWriteStream(file, { flags: 'a' });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
}

/**
 * The child side of `forkServer`: waits for the request, starts, answers with `reply`, and
 * closes when the parent goes away, finished or crashed.
 */
export function serveChild<Request, Reply>(
  start: (request: Request) => Promise<{ reply: Reply; close(): Promise<void> }>,
): void {
  const run = async () => {
    const request = await new Promise<Request>((resolve) =>
      process.once('message', (m) => resolve(m as Request)),
    );
    const server = await start(request);
    process.once('disconnect', () => void server.close().finally(() => process.exit(0)));
    process.send!(server.reply);
  };
  run().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}

/** Listens on a free loopback port and answers the parent with it. */
export async function listenOnLoopback(app: FastifyInstance) {
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { reply: { port: (app.server.address() as AddressInfo).port }, close: () => app.close() };
}

export const loopbackUrl = (port: number) => `http://127.0.0.1:${port}`;

export type StoreKind = 'postgres' | 'mongo';

/** The `--store` flag every benchmark takes. */
export function storeKind(value: string): StoreKind {
  if (value !== 'postgres' && value !== 'mongo') {
    throw new UsageError(`--store must be postgres or mongo, not '${value}'`);
  }
  return value;
}

/** A process metered with the children it serves from (PostgreSQL: one per connection). */
export interface ProcessTree {
  tree: number;
}

export type Metered = number | ProcessTree;

/** What the benchmarks read that no store method answers. */
export interface Probe {
  messageCount(): Promise<number>;
  inboundWebhooks(): Promise<{ stored: number; processed: number }>;
  /** How many webhooks failed processing, and the errors of the first `limit`. */
  inboundFailures(limit: number): Promise<{ count: number; errors: string[] }>;
}

export interface Infrastructure {
  /** The explicit configuration every process of the benchmark gets. */
  env: Env;
  config: Config;
  tmp: string;
  /** The servers started here, by name, to meter: none for a database the user named. */
  servers: Record<string, Metered>;
  probe: Probe;
  /** With `profile`: where the Temporal server serves its Prometheus metrics. */
  temporalMetricsUrl: string | null;
}

/**
 * The store's database and, with `temporal`, a Temporal dev server, each on a free loopback port
 * with its data in a temporary folder; a schema (or MongoDB database) of its own, dropped at the
 * end; a random encryption key. DATABASE_URL / MONGODB_URI name a server to use instead.
 */
export async function startInfrastructure(
  resources: Resources,
  opts: {
    temporal: boolean;
    store: StoreKind;
    env?: Env;
    /** PostgreSQL with pg_stat_statements, and the Temporal server's metrics (bench/profile.ts). */
    profile?: boolean;
    /** A PostgreSQL server already running, to use as DATABASE_URL would name one. */
    postgresUrl?: string;
    /** A Temporal server already running, used instead of starting a dev server. */
    temporalAddress?: string;
  },
): Promise<Infrastructure> {
  const tmp = resources.tmpDir('waflow-bench-');
  // As root, PostgreSQL runs as an unprivileged user, who must reach its cluster in here.
  chmodSync(tmp, 0o711);
  const temporalPort = await freePort();
  const env: Env = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATA_DIR: tmp,
    WAFLOW_STORE: opts.store,
    // Without `temporal` nothing listens here: the API's Temporal connection is lazy.
    TEMPORAL_ADDRESS: opts.temporalAddress ?? `127.0.0.1:${temporalPort}`,
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    // The benchmarks' keys are given limits that never throttle them.
    API_KEY_MAX_RATE_PER_MINUTE: '100000000',
    API_KEY_MAX_RATE_PER_SECOND: '10000000',
    ...opts.env,
  };
  const { cacheDir } = loadConfig(env);
  const name = `bench_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const servers: Record<string, Metered> = {};
  let probe: Probe;
  if (opts.store === 'postgres') {
    let url = opts.postgresUrl ?? process.env.DATABASE_URL;
    if (!url) {
      const postgres = await startThrowawayPostgres({
        cacheDir,
        dir: tmp,
        settings: opts.profile
          ? [
              ['shared_preload_libraries', 'pg_stat_statements'],
              ['pg_stat_statements.track_planning', 'on'],
            ]
          : [],
      });
      servers.postgres = { tree: resources.managed(postgres.proc).child.pid! };
      url = postgres.url;
    }
    Object.assign(env, { DATABASE_URL: url, DATABASE_SCHEMA: name });
    probe = postgresProbe(resources, url, name);
  } else {
    let uri = process.env.MONGODB_URI;
    if (!uri) {
      const port = await freePort();
      const ferret = resources.managed(
        await startFerret({
          bin: binPath(cacheDir, 'ferretdb'),
          dataDir: join(tmp, 'ferretdb'),
          port,
          logFile: join(tmp, 'ferretdb.log'),
        }),
      );
      servers.ferretdb = ferret.child.pid!;
      uri = `mongodb://127.0.0.1:${port}/`;
    }
    Object.assign(env, { MONGODB_URI: uri, MONGODB_DB: name });
    probe = await mongoProbe(resources, uri, name);
  }
  const config = loadConfig(env);
  let temporalMetricsUrl: string | null = null;
  if (opts.temporal) {
    const metricsPort = opts.profile ? await freePort() : undefined;
    if (metricsPort) temporalMetricsUrl = `${loopbackUrl(metricsPort)}/metrics`;
    const temporal = resources.managed(
      await startTemporal({
        bin: binPath(config.cacheDir, 'temporal'),
        dbFile: join(tmp, 'temporal.db'),
        port: temporalPort,
        uiPort: null,
        logFile: join(tmp, 'temporal.log'),
        metricsPort,
      }),
    );
    servers.temporal = temporal.child.pid!;
    await waitForTemporal(config.temporal.address, config.temporal.namespace);
  }
  return { env, config, tmp, servers, probe, temporalMetricsUrl };
}

/** Registered before the benchmark's processes, so it drops the schema after they stopped. */
function postgresProbe(resources: Resources, url: string, schema: string): Probe {
  const pool = new pg.Pool({ connectionString: url, max: 2, options: `-c search_path=${schema}` });
  // An idle connection the server drops must not crash the benchmark: the next query reconnects.
  pool.on('error', () => {});
  resources.add(async () => {
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await pool.end();
  });
  const rows = async <T>(sql: string) => (await pool.query<T & pg.QueryResultRow>(sql)).rows;
  return {
    async messageCount() {
      return (await rows<{ n: number }>('SELECT count(*)::int AS n FROM messages'))[0]!.n;
    },
    async inboundWebhooks() {
      const [r] = await rows<{ stored: number; processed: number }>(
        'SELECT count(*)::int AS stored, count(processed_at)::int AS processed FROM inbound_webhooks',
      );
      return r!;
    },
    async inboundFailures(limit) {
      const found = await rows<{ last_error: string; count: number }>(
        `SELECT last_error, (count(*) OVER ())::int AS count
           FROM inbound_webhooks WHERE last_error IS NOT NULL LIMIT ${limit}`,
      );
      return { count: found[0]?.count ?? 0, errors: found.map((r) => r.last_error) };
    },
  };
}

async function mongoProbe(resources: Resources, uri: string, dbName: string): Promise<Probe> {
  const client = await MongoClient.connect(uri);
  resources.add(async () => {
    await client.db(dbName).dropDatabase();
    await client.close();
  });
  const inbound = client.db(dbName).collection<{ last_error: string | null }>('inbound_webhooks');
  return {
    messageCount: () => client.db(dbName).collection('messages').estimatedDocumentCount(),
    async inboundWebhooks() {
      const [stored, pending] = await Promise.all([
        inbound.estimatedDocumentCount(),
        inbound.countDocuments({ processed_at: null }),
      ]);
      return { stored, processed: stored - pending };
    },
    async inboundFailures(limit) {
      const failed = { last_error: { $ne: null } };
      const docs = await inbound.find(failed).limit(limit).toArray();
      const count = docs.length ? await inbound.countDocuments(failed) : 0;
      return { count, errors: docs.map((d) => d.last_error!) };
    },
  };
}

let clockTicks: number | null = null;

/** Linux's clock ticks a second, the unit of /proc/<pid>/stat's CPU times. */
const ticksPerSecond = () =>
  (clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })) || 100);

/** Fields of /proc/<pid>/stat after the command name, which may hold spaces and parentheses. */
function procStat(pid: number | string): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/**
 * CPU time (user + system, seconds) a process has used so far; for a tree, with its children's,
 * living and exited; null where /proc is missing.
 */
function cpuSeconds(target: Metered): number | null {
  try {
    const clockTicks = ticksPerSecond();
    const ticks = (f: string[], withChildren: boolean) =>
      Number(f[11]) + Number(f[12]) + (withChildren ? Number(f[13]) + Number(f[14]) : 0);
    if (typeof target === 'number') return ticks(procStat(target), false) / clockTicks;
    let total = ticks(procStat(target.tree), true);
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const f = procStat(entry);
        if (Number(f[1]) === target.tree) total += ticks(f, true);
      } catch {
        // Gone since the listing.
      }
    }
    return total / clockTicks;
  } catch {
    return null;
  }
}

/**
 * A process's own CPU time (user + system, seconds) so far, and that of its children that ended
 * (and were waited for); null once it is gone or where /proc is missing.
 */
export function processCpuSeconds(pid: number): { own: number; endedChildren: number } | null {
  try {
    const f = procStat(pid);
    const t = ticksPerSecond();
    return {
      own: (Number(f[11]) + Number(f[12])) / t,
      endedChildren: (Number(f[13]) + Number(f[14])) / t,
    };
  } catch {
    return null;
  }
}

/** The parent of a process; null once it is gone or where /proc is missing. */
export function parentPid(pid: number): number | null {
  try {
    return Number(procStat(pid)[1]);
  } catch {
    return null;
  }
}

/**
 * CPU time (user + system, seconds) every process on the machine has used so far, exited ones
 * included through their parents, to tell the benchmark's own use from others'. Counted the way
 * `CpuMeter` counts (the machine-wide figures of /proc/stat are sampled differently and disagree
 * with it by a tenth under timer-driven load); null where /proc is missing.
 */
export function machineCpuSeconds(): number | null {
  try {
    const clockTicks = ticksPerSecond();
    let total = 0;
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const f = procStat(entry);
        total += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
      } catch {
        // Gone since the listing.
      }
    }
    return total / clockTicks;
  } catch {
    return null;
  }
}

/** A pool of the benchmark's own on the store's schema, for seeding and probes; closed at the end. */
export function sqlPool(resources: Resources, config: Config): pg.Pool {
  const sql = new pg.Pool({
    connectionString: config.postgres.url,
    max: 2,
    options: `-c search_path=${config.postgres.schema}`,
  });
  sql.on('error', () => {});
  resources.add(() => sql.end());
  return sql;
}

/**
 * CPU used by each named process between two readings: on a machine this small, where the
 * cores go says more than any latency figure.
 */
export class CpuMeter {
  constructor(private readonly targets: Record<string, Metered>) {}

  read(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, target] of Object.entries(this.targets)) {
      const s = cpuSeconds(target);
      if (s !== null) out[name] = s;
    }
    return out;
  }

  static diff(before: Record<string, number>, after: Record<string, number>) {
    const out: Record<string, number> = {};
    for (const [name, s] of Object.entries(after)) {
      if (before[name] !== undefined) out[name] = s - before[name];
    }
    return out;
  }
}

/** The last lines of a log file, to explain why a process stopped. */
export function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Runs a benchmark's main: exit code 0 when every request succeeded, 1 when some failed or
 * the benchmark broke, 2 on a usage error; Ctrl-C stops whatever it started.
 */
export function runMain(usage: string, main: (argv: string[], r: Resources) => Promise<number>) {
  const resources = new Resources();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void resources.close().finally(() => process.exit(130)));
  }
  main(process.argv.slice(2), resources)
    .finally(() => resources.close())
    .then(
      (code) => (process.exitCode = code),
      (err: unknown) => {
        console.error(err instanceof Error ? err.message : err);
        if (err instanceof UsageError) console.error(`\n${usage}`);
        process.exitCode = err instanceof UsageError ? 2 : 1;
      },
    );
}

/** Resident memory of a process now, in bytes; null once it is gone or where /proc is missing. */
export function rssBytes(pid: number): number | null {
  try {
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return kb ? Number(kb[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/**
 * The highest resident memory of each named process since the last `reset`, sampled every
 * `everyMs`: a short peak between samples goes unseen, so the interval should be short.
 */
export class RssPeaks {
  private peaks: Record<string, number> = {};
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pids: Record<string, number>,
    everyMs = 250,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
    this.timer.unref();
  }

  private sample(): void {
    for (const [name, pid] of Object.entries(this.pids)) {
      const bytes = rssBytes(pid);
      if (bytes !== null) this.peaks[name] = Math.max(this.peaks[name] ?? 0, bytes);
    }
  }

  /** The peaks so far (bytes), then starts again from the current sizes. */
  take(): Record<string, number> {
    this.sample();
    const peaks = this.peaks;
    this.peaks = {};
    this.sample();
    return peaks;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

export const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

/** The value at quantile `q` (0 to 1) of ascending `sorted`; NaN when empty. */
export const percentile = (sorted: number[], q: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]! : NaN;

/** Calls `fire` `rate` times a second, evenly spaced, whatever the answers take. */
export async function openLoop(
  rate: number,
  count: number,
  fire: (n: number, due: number) => void,
) {
  const start = performance.now();
  for (let n = 0; n < count; n++) {
    const due = start + (n * 1000) / rate;
    const wait = due - performance.now();
    if (wait >= 1) await sleep(wait);
    fire(n, due);
  }
}

/** CPU seconds used so far by each metered process, and by the whole machine. */
export function readCpu(meter: CpuMeter): Record<string, number> {
  return { ...meter.read(), machine: machineCpuSeconds() ?? NaN };
}

/**
 * CPU milliseconds per message of each of `processes` (names in the meter), and how busy the
 * machine's cores were over `wallMs`.
 */
export function cpuPerMessage(
  processes: readonly string[],
  cpu: Record<string, number>,
  messages: number,
  wallMs: number,
) {
  const per = Object.fromEntries(processes.map((p) => [p, ((cpu[p] ?? 0) * 1000) / messages]));
  const own = sum(processes.map((p) => cpu[p] ?? 0));
  const cores = (seconds: number) => (seconds * 1000) / (wallMs * availableParallelism());
  return {
    per,
    total: sum(Object.values(per)),
    others: ((cpu.machine! - own) * 1000) / messages,
    busy: cores(own),
    machineBusy: cores(cpu.machine!),
  };
}

export type CpuFigures = ReturnType<typeof cpuPerMessage>;

/** Waflow's processes and the servers it runs on; the simulator and the load stand for others. */
export const WAFLOW_PROCESSES = ['api', 'worker', 'postgres', 'temporal'];
/** What Waflow may spend on a message at 1,000/s, its three status webhooks included. */
export const WAFLOW_CPU_GOAL_MS = 1;

export const waflowCpu = (cpu: CpuFigures) => sum(WAFLOW_PROCESSES.map((p) => cpu.per[p] ?? 0));

/**
 * The worker as production runs it (its own process, its Node flags, configured by `env`),
 * logging to `<dir>/worker.log`. `exited` settles with the log's tail if it stops.
 */
export function launchWorker(resources: Resources, env: Env, dir: string, nodeOptions?: string) {
  const log = join(dir, 'worker.log');
  const worker = resources.managed(
    launch(
      'worker',
      process.execPath,
      [...WORKER_NODE_FLAGS, join(__dirname, '..', 'worker', 'main.js')],
      {
        // Any free port for /health and /metrics: a benchmark may run more than one worker.
        env: { WORKER_PORT: '0', ...env, ...WORKER_ENV, NODE_OPTIONS: nodeOptions },
        cwd: dir,
        logFile: log,
      },
    ),
  );
  const exited = new Promise<string>((resolve) =>
    worker.child.once('exit', (code, signal) =>
      resolve(`The worker exited (${signal ?? code}):\n${tail(log)}`),
    ),
  );
  return { pid: worker.child.pid!, log, exited, stop: () => worker.stop() };
}

/**
 * The worker and the API as production runs them, each in its own process: the API forked
 * from `script` (the benchmark's own file, which serves it). With `profile` (a folder), both
 * write CPU profiles there.
 */
export async function launchWorkerAndApi(
  resources: Resources,
  script: string,
  o: { config: Config; env: Env; dir: string; profile: string | null },
) {
  const cpuProf = o.profile ? ['--cpu-prof', `--cpu-prof-dir=${o.profile}`] : [];
  const worker = launchWorker(
    resources,
    { ...configEnv(o.config), LOG_LEVEL: o.env.LOG_LEVEL },
    o.dir,
    cpuProf.join(' ') || undefined,
  );
  const api = await forkServer<{ port: number }>(
    resources,
    'API',
    script,
    ['serve', 'api'],
    { env: o.env },
    { execArgv: cpuProf },
  );
  return { worker, api };
}

import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import Fastify, { type FastifyInstance } from 'fastify';
import { buildApp } from '../api/app';
import { loadConfig, type Config, type Env } from '../lib/config';
import { binPath, freePort, startFerret, type Managed } from '../scripts/infra';
import { provisionOrganization } from '../scripts/provision';
import { createStore } from '../store';
import { connectMongo } from '../store/mongo';

const USAGE = `Usage: node dist/bench/api-overhead.js [--duration <s>] [--connections <n>] [--rounds <n>]

Compares an authenticated GET /api/auth/me through the whole API with a bare Fastify route
answering the same JSON, each server in its own process, measured alternately.`;

const ROUTE = '/api/auth/me';
const WARMUP_SECONDS = 3;

type Mode = 'bare' | 'full';
const MODES: readonly Mode[] = ['bare', 'full'];

/** What a server process is told over IPC: the app's configuration and who it answers as. */
interface ServeRequest {
  env: Env;
  orgId: string;
  keyId: string;
}

interface Figures {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

function bareApp({ orgId, keyId }: ServeRequest): FastifyInstance {
  const app = Fastify();
  app.get(ROUTE, () => ({
    data: { organization_id: orgId, principal: { kind: 'api_key', key_id: keyId } },
    status: 'success',
  }));
  return app;
}

async function serve(mode: Mode): Promise<void> {
  const request = await new Promise<ServeRequest>((resolve) =>
    process.once('message', (m) => resolve(m as ServeRequest)),
  );
  const app =
    mode === 'full' ? await buildApp(loadConfig(request.env), { logger: false }) : bareApp(request);
  await app.listen({ host: '127.0.0.1', port: 0 });
  // The parent going away, finished or crashed, is the signal to stop.
  process.once('disconnect', () => void app.close().finally(() => process.exit(0)));
  process.send!({ port: (app.server.address() as AddressInfo).port });
}

function startServer(mode: Mode, request: ServeRequest, children: ChildProcess[]) {
  const child = fork(__filename, ['serve', mode], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.push(child);
  return new Promise<string>((resolve, reject) => {
    child.once('exit', (code, signal) =>
      reject(new Error(`The ${mode} server exited (${signal ?? code}) before listening`)),
    );
    child.once('message', (m) => resolve(`http://127.0.0.1:${(m as { port: number }).port}`));
    child.send(request);
  });
}

function stopServer(child: ChildProcess): Promise<void> {
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

async function provision(config: Config) {
  const mongo = await connectMongo(config.mongo.uri, config.mongo.db);
  try {
    const store = createStore(mongo.db, config.encryptionKey);
    const { organization } = await provisionOrganization(store, { name: 'bench' });
    // High enough that the limiter does all its bookkeeping but never refuses a request.
    const { doc, key } = await store.apiKeys.create(organization.id, {
      name: 'bench',
      rateLimit: { per_minute: 100_000_000, per_second: 10_000_000 },
    });
    return { orgId: organization.id, keyId: doc._id, key };
  } finally {
    await mongo.close();
  }
}

/** Both servers must answer the same bytes, or the comparison measures something else. */
async function checkSameAnswer(urls: Record<Mode, string>, key: string): Promise<void> {
  const bodies = await Promise.all(
    MODES.map(async (mode) => {
      const res = await fetch(urls[mode] + ROUTE, { headers: { 'x-api-key': key } });
      const body = await res.text();
      if (res.status !== 200) throw new Error(`${mode}: ${res.status} ${body}`);
      return body;
    }),
  );
  if (bodies[0] !== bodies[1]) {
    throw new Error(`The servers answer differently:\n  bare ${bodies[0]}\n  full ${bodies[1]}`);
  }
}

async function measure(url: string, key: string, connections: number, duration: number) {
  const r = await autocannon({
    url: url + ROUTE,
    connections,
    duration,
    headers: { 'x-api-key': key },
  });
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors,
  };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function summarize(rounds: Figures[]): Figures {
  const sum = (f: (r: Figures) => number) => rounds.reduce((acc, r) => acc + f(r), 0);
  return {
    rps: median(rounds.map((r) => r.rps)),
    p50: median(rounds.map((r) => r.p50)),
    p99: median(rounds.map((r) => r.p99)),
    non2xx: sum((r) => r.non2xx),
    errors: sum((r) => r.errors),
  };
}

const row = (cells: (string | number)[]) =>
  cells.map((c, i) => (i === 0 ? String(c).padEnd(8) : String(c).padStart(10))).join('');

const line = (name: string, f: Figures) =>
  row([name, f.rps.toFixed(0), f.p50.toFixed(2), f.p99.toFixed(2), f.non2xx, f.errors]);

function positiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${flag} must be a positive integer`);
  return n;
}

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const options = {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    rounds: { type: 'string', default: '2' },
  } as const;
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const duration = positiveInt(values.duration, '--duration');
  const connections = positiveInt(values.connections, '--connections');
  const rounds = positiveInt(values.rounds, '--rounds');

  const tmp = mkdtempSync(join(tmpdir(), 'waflow-bench-'));
  const children: ChildProcess[] = [];
  let ferret: Managed | null = null;
  try {
    const mongoPort = await freePort();
    const env: Env = {
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      DATA_DIR: tmp,
      MONGODB_URI: `mongodb://127.0.0.1:${mongoPort}/`,
      MONGODB_DB: `bench_${randomUUID().replaceAll('-', '').slice(0, 12)}`,
      // Nothing listens here: the Temporal connection is lazy and this route never uses it.
      TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}`,
      ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    };
    const config = loadConfig(env);
    ferret = await startFerret({
      bin: binPath(config.cacheDir, 'ferretdb'),
      dataDir: join(tmp, 'ferretdb'),
      port: mongoPort,
      logFile: join(tmp, 'ferretdb.log'),
    });
    const { orgId, keyId, key } = await provision(config);

    const request: ServeRequest = { env, orgId, keyId };
    const urls = {
      bare: await startServer('bare', request, children),
      full: await startServer('full', request, children),
    };
    await checkSameAnswer(urls, key);

    console.log(
      `GET ${ROUTE}: ${connections} connections, ${rounds} × ${duration} s per server ` +
        `after ${WARMUP_SECONDS} s warm-up, alternating bare/full\n`,
    );
    for (const mode of MODES) await measure(urls[mode], key, connections, WARMUP_SECONDS);

    const results: Record<Mode, Figures[]> = { bare: [], full: [] };
    const header = row(['', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors']);
    console.log(header);
    for (let round = 1; round <= rounds; round++) {
      for (const mode of MODES) {
        const f = await measure(urls[mode], key, connections, duration);
        results[mode].push(f);
        console.log(line(`${mode} #${round}`, f));
      }
    }

    const bare = summarize(results.bare);
    const full = summarize(results.full);
    console.log(`\nMedian of ${rounds} rounds (non-2xx and errors are totals)\n${header}`);
    console.log(line('bare', bare));
    console.log(line('full', full));
    console.log(`\nthroughput full/bare:  ${(full.rps / bare.rps).toFixed(3)}`);
    console.log(`overhead per request:  ${(1e6 / full.rps - 1e6 / bare.rps).toFixed(1)} µs`);

    const failed = bare.non2xx + bare.errors + full.non2xx + full.errors;
    if (failed > 0) {
      console.error(`\n${failed} requests failed: the figures above are not meaningful.`);
      return 1;
    }
    return 0;
  } finally {
    await Promise.all(children.map(stopServer));
    await ferret?.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

const [command, mode] = process.argv.slice(2);
if (command === 'serve') {
  if (mode !== 'bare' && mode !== 'full') throw new Error(`Unknown server mode '${mode}'`);
  serve(mode).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
} else {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      if (err instanceof UsageError) console.error(`\n${USAGE}`);
      process.exitCode = err instanceof UsageError ? 2 : 1;
    },
  );
}

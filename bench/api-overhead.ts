import autocannon from 'autocannon';
import Fastify, { type FastifyInstance } from 'fastify';
import { buildApp } from '../api/app';
import { loadConfig, type Config, type Env } from '../lib/config';
import { provisionOrganization } from '../scripts/provision';
import { openStore } from '../store';
import {
  figuresOf,
  forkServer,
  listenOnLoopback,
  loopbackUrl,
  parseFlags,
  positiveInt,
  row,
  runMain,
  serveChild,
  startInfrastructure,
  storeKind,
  summarize,
  type Figures,
  type Resources,
} from './support';

const USAGE = `Usage: node dist/bench/api-overhead.js [--duration <s>] [--connections <n>] [--rounds <n>]
       [--store postgres|mongo]

Compares an authenticated GET /api/auth/me through the whole API with a bare Fastify route
answering the same JSON, each server in its own process, measured alternately. The store is
PostgreSQL (embedded unless DATABASE_URL is set) or, with --store mongo, FerretDB (unless
MONGODB_URI is set).`;

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

function bareApp({ orgId, keyId }: ServeRequest): FastifyInstance {
  const app = Fastify();
  app.get(ROUTE, () => ({
    data: { organization_id: orgId, principal: { kind: 'api_key', key_id: keyId } },
    status: 'success',
  }));
  return app;
}

async function startServer(resources: Resources, mode: Mode, request: ServeRequest) {
  const { port } = await forkServer<{ port: number }>(
    resources,
    `${mode} server`,
    __filename,
    ['serve', mode],
    request,
  );
  return loopbackUrl(port);
}

async function provision(config: Config) {
  const database = await openStore(config);
  try {
    const { store } = database;
    const { organization } = await provisionOrganization(store, { name: 'bench' });
    // High enough that the limiter does all its bookkeeping but never refuses a request.
    const { doc, key } = await store.apiKeys.create(organization.id, {
      name: 'bench',
      rateLimit: { per_minute: 100_000_000, per_second: 10_000_000 },
    });
    return { orgId: organization.id, keyId: doc._id, key };
  } finally {
    await database.close();
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
  return figuresOf(
    await autocannon({ url: url + ROUTE, connections, duration, headers: { 'x-api-key': key } }),
  );
}

const line = (name: string, f: Figures) =>
  row([name, f.rps.toFixed(0), f.p50.toFixed(2), f.p99.toFixed(2), f.non2xx, f.errors]);

async function main(argv: string[], resources: Resources): Promise<number> {
  const flags = parseFlags(argv, {
    duration: '10',
    connections: '50',
    rounds: '2',
    store: 'postgres',
  });
  const duration = positiveInt(flags.duration, '--duration');
  const connections = positiveInt(flags.connections, '--connections');
  const rounds = positiveInt(flags.rounds, '--rounds');
  const store = storeKind(flags.store);

  const { env, config } = await startInfrastructure(resources, { temporal: false, store });
  const { orgId, keyId, key } = await provision(config);

  const request: ServeRequest = { env, orgId, keyId };
  const urls = {
    bare: await startServer(resources, 'bare', request),
    full: await startServer(resources, 'full', request),
  };
  await checkSameAnswer(urls, key);

  console.log(
    `GET ${ROUTE} (${store} store): ${connections} connections, ${rounds} × ${duration} s ` +
      `per server after ${WARMUP_SECONDS} s warm-up, alternating bare/full\n`,
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
}

const [command, mode] = process.argv.slice(2);
if (command === 'serve') {
  if (mode !== 'bare' && mode !== 'full') throw new Error(`Unknown server mode '${mode}'`);
  serveChild<ServeRequest, { port: number }>(async (request) =>
    listenOnLoopback(
      mode === 'full'
        ? await buildApp(loadConfig(request.env), { logger: false })
        : bareApp(request),
    ),
  );
} else {
  runMain(USAGE, main);
}

import { WORKER_ENV, WORKER_NODE_FLAGS } from '../worker/process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configEnv, loadConfig, type Config } from '../lib/config';
import { randomToken } from '../lib/crypto';
import { openStore, type Store } from '../store';
import { accountSettings } from '../store/accounts';
import {
  assertPortFree,
  binPath,
  launch,
  startFerret,
  startStripeMock,
  startTemporal,
  waitForPort,
  waitForTemporal,
  type Managed,
} from './infra';
import { startPostgres } from './postgres';
import { startTemporalServer } from './temporal-server';
import { provisionOrganization } from './provision';
import { syncSandboxTemplates } from './sandbox-templates';
import { createSupervisor } from './supervisor';

interface DevCredentials {
  organization_id: string;
  api_key: string;
  email: string;
  password: string;
}

const say = (msg: string) => console.log(`\x1b[36m[waflow]\x1b[0m ${msg}`);

/**
 * `--topology`: production's topology without Docker. The real Temporal server on the
 * PostgreSQL server (instead of the CLI's dev server), two API processes (PORT and PORT + 2)
 * and two workers (health on PORT + 1 and PORT + 3).
 */
const USAGE = 'Usage: npm start [-- --topology]';

/**
 * Starts the whole stack for development: embedded Temporal and the store's database server
 * (PostgreSQL, or FerretDB for the MongoDB store) unless their addresses are configured, the
 * worker and the API; Ctrl-C stops all of them.
 */
async function main() {
  const args = process.argv.slice(2);
  if (args.some((a) => a !== '--topology')) {
    console.error(`Unknown argument ${args.find((a) => a !== '--topology')}\n${USAGE}`);
    process.exit(2);
  }
  const topology = args.includes('--topology');
  const config = loadConfig();
  mkdirSync(config.dataDir, { recursive: true });
  const children: Managed[] = [];
  let stopping = false;
  const supervisor = createSupervisor({ log: say, onGiveUp: () => void stopAll(1) });
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    say('stopping…');
    await supervisor.stop();
    for (const child of [...children].reverse()) await child.stop();
    process.exit(code);
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void stopAll(0));
  }
  const own = (proc: Managed) => {
    children.push(proc);
    return proc;
  };
  const watch = (proc: Managed) => {
    own(proc);
    proc.child.once('exit', (code, signal) => {
      if (stopping) return;
      say(`${proc.name} exited (${signal ?? code}); stopping the rest`);
      void stopAll(1);
    });
    return proc;
  };

  try {
    await startInfrastructure(config, { watch, own }, topology);
    const credentials = await ensureDevCredentials(config);
    const env = configEnv(config);
    // Waflow's own processes come back after a crash; the servers they need stop everything.
    const node = (name: string, script: string, flags = ['--no-node-snapshot'], extraEnv = {}) =>
      supervisor.supervise(name, () =>
        launch(name, process.execPath, [...flags, join(__dirname, '..', script)], {
          env: { ...env, ...extraEnv },
        }),
      );
    if (config.sandbox) {
      const { port, url } = config.meta.simulator;
      await assertPortFree('127.0.0.1', port, 'the Meta simulator');
      say(`starting the Meta simulator on ${url}`);
      await waitForPort('127.0.0.1', port, node('meta-simulator', 'sim/meta/main.js'));
      const razorpay = config.payments.razorpaySimulator;
      await assertPortFree('127.0.0.1', razorpay.port, 'the Razorpay simulator');
      say(`starting the Razorpay simulator on ${razorpay.url}`);
      await waitForPort(
        '127.0.0.1',
        razorpay.port,
        node('razorpay-simulator', 'sim/razorpay/main.js'),
      );
    }
    const port = config.http.port;
    if (topology) {
      await assertPortFree('127.0.0.1', port + 1, "the first worker's health and metrics");
      await assertPortFree('127.0.0.1', port + 2, 'the second API process');
      await assertPortFree('127.0.0.1', port + 3, "the second worker's health and metrics");
    }
    node('worker', 'worker/main.js', WORKER_NODE_FLAGS, {
      ...WORKER_ENV,
      ...(topology && { WORKER_PORT: String(port + 1) }),
    });
    const api = node('api', 'api/server.js');
    // The first API migrates the store before the others open it.
    await waitForPort('127.0.0.1', port, api);
    if (topology) {
      node('worker-2', 'worker/main.js', WORKER_NODE_FLAGS, {
        ...WORKER_ENV,
        WORKER_PORT: String(port + 3),
      });
      const second = node('api-2', 'api/server.js', undefined, {
        PORT: String(port + 2),
        PUBLIC_URL: config.http.publicUrl,
      });
      await waitForPort('127.0.0.1', port + 2, second);
    }
    if (config.sandbox) {
      // The sandbox account's templates are there before the first send, not an hour later.
      try {
        const synced = await syncSandboxTemplates(config, credentials.organization_id);
        say(`synced ${synced} sandbox templates`);
      } catch (err) {
        say(`sandbox templates not synced yet: ${(err as Error).message}`);
      }
    }
    printBanner(config, credentials, topology);
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    await stopAll(1);
  }
}

async function startInfrastructure(
  config: Config,
  /** `watch` stops everything when the server exits; `own` only stops it at the end. */
  { watch, own }: { watch: (m: Managed) => Managed; own: (m: Managed) => Managed },
  topology: boolean,
) {
  const logs = join(config.dataDir, 'logs');
  mkdirSync(logs, { recursive: true });
  // The topology's Temporal server keeps its data on PostgreSQL, whichever the store.
  if ((config.store === 'postgres' || topology) && config.postgres.embedded) {
    const url = new URL(config.postgres.url);
    const dataDir = join(config.dataDir, 'postgres');
    say(`starting PostgreSQL on 127.0.0.1:${config.postgres.port} (data in ${dataDir})`);
    watch(
      await startPostgres({
        cacheDir: config.cacheDir,
        dataDir,
        port: config.postgres.port,
        user: decodeURIComponent(url.username),
        password: decodeURIComponent(url.password),
        database: url.pathname.slice(1),
        logFile: join(logs, 'postgres.log'),
      }),
    );
  }
  if (config.store === 'mongo' && config.mongo.embedded) {
    say(`starting FerretDB on 127.0.0.1:${config.mongo.port} (data in ${config.dataDir}/ferretdb)`);
    watch(
      await startFerret({
        bin: binPath(config.cacheDir, 'ferretdb'),
        dataDir: join(config.dataDir, 'ferretdb'),
        port: config.mongo.port,
        logFile: join(logs, 'ferretdb.log'),
      }),
    );
  }
  if (config.temporal.embedded && topology) {
    say(`starting the Temporal server on 127.0.0.1:${config.temporal.port} (data on PostgreSQL)`);
    // Not watched: as in production, it is started again when it exits by itself.
    own(
      await startTemporalServer({
        cacheDir: config.cacheDir,
        dir: join(config.dataDir, 'temporal-server'),
        postgresUrl: config.postgres.url,
        namespace: config.temporal.namespace,
        port: config.temporal.port,
        logFile: join(logs, 'temporal-server.log'),
        onExit: say,
      }),
    );
  } else if (config.temporal.embedded) {
    say(`starting Temporal on 127.0.0.1:${config.temporal.port}, UI on ${config.temporal.uiPort}`);
    watch(
      await startTemporal({
        bin: binPath(config.cacheDir, 'temporal'),
        dbFile: join(config.dataDir, 'temporal.db'),
        port: config.temporal.port,
        uiPort: config.temporal.uiPort,
        logFile: join(logs, 'temporal.log'),
      }),
    );
  }
  await waitForTemporal(config.temporal.address, config.temporal.namespace);
  if (config.sandbox && !process.env.STRIPE_MOCK_URL) {
    const { port, url } = config.payments.stripeMock;
    say(`starting stripe-mock on ${url}`);
    watch(
      await startStripeMock({
        bin: binPath(config.cacheDir, 'stripe-mock'),
        port,
        logFile: join(logs, 'stripe-mock.log'),
      }),
    );
  }
}

/**
 * The first start creates an organization, a user and an API key and keeps them in the data
 * folder, so every later start prints the same, still valid, key.
 */
async function ensureDevCredentials(config: Config): Promise<DevCredentials> {
  const file = join(config.dataDir, 'dev-credentials.json');
  const database = await openStore(config);
  try {
    const { store } = database;
    if (existsSync(file)) {
      const saved = JSON.parse(readFileSync(file, 'utf8')) as DevCredentials;
      if (await stillValid(store, saved)) return saved;
    }
    const existing = await store.organizations.first();
    let credentials: DevCredentials;
    if (existing) {
      const { key } = await store.apiKeys.create(existing._id, { name: 'development' });
      credentials = { organization_id: existing._id, api_key: key, email: '', password: '' };
    } else {
      const password = randomToken(12);
      const email = 'admin@waflow.local';
      const p = await provisionOrganization(
        store,
        {
          name: 'My organization',
          email,
          password,
          keyName: 'development',
        },
        accountSettings(config).sandbox,
      );
      credentials = { organization_id: p.organization.id, api_key: p.api_key.key, email, password };
    }
    writeFileSync(file, JSON.stringify(credentials, null, 2), { mode: 0o600 });
    return credentials;
  } finally {
    await database.close();
  }
}

async function stillValid(store: Store, saved: DevCredentials): Promise<boolean> {
  const doc = await store.apiKeys.findByKey(saved.api_key);
  return !!doc && !doc.revoked_at && (!doc.expires_at || doc.expires_at > new Date());
}

function storeLine(config: Config): string {
  if (config.store === 'mongo') {
    const where = config.mongo.embedded
      ? `FerretDB, embedded, 127.0.0.1:${config.mongo.port}`
      : redact(config.mongo.uri);
    return `MongoDB (${where}), database ${config.mongo.db}`;
  }
  const where = config.postgres.embedded
    ? `embedded, 127.0.0.1:${config.postgres.port}`
    : redact(config.postgres.url);
  return `PostgreSQL (${where}), schema ${config.postgres.schema}`;
}

/** A server address without its password, for printing. */
function redact(address: string): string {
  return address.replace(/\/\/([^:/@]+):[^@/]*@/, '//$1:***@');
}

function printBanner(config: Config, c: DevCredentials, topology: boolean) {
  const url = config.http.publicUrl;
  const port = config.http.port;
  const lines = [
    '',
    topology ? 'Waflow is running in the production topology.' : 'Waflow is running.',
    `  API            ${url}/api`,
    topology ? `  API processes  127.0.0.1:${port} and 127.0.0.1:${port + 2}` : '',
    topology ? `  Workers        2, health on ports ${port + 1} and ${port + 3}` : '',
    `  API docs       ${url}/docs`,
    `  Store          ${storeLine(config)}`,
    config.temporal.embedded && topology
      ? `  Temporal       server on 127.0.0.1:${config.temporal.port}, data in PostgreSQL databases temporal and temporal_visibility`
      : '',
    config.temporal.embedded && !topology
      ? `  Temporal UI    http://localhost:${config.temporal.uiPort}`
      : '',
    config.sandbox ? `  Meta simulator ${config.meta.simulator.url}` : '',
    config.sandbox ? `  Razorpay sim   ${config.payments.razorpaySimulator.url}` : '',
    config.sandbox ? `  stripe-mock    ${config.payments.stripeMock.url}` : '',
    `  Organization   ${c.organization_id}`,
    `  API key        ${c.api_key}`,
    c.email ? `  Login          ${c.email} / ${c.password}` : '',
    '',
    `  curl -H "X-API-Key: ${c.api_key}" ${url}/api/ready`,
    '',
    'Press Ctrl-C to stop.',
  ];
  console.log(lines.filter((l, i) => l !== '' || i === 0 || lines[i - 1] !== '').join('\n'));
}

void main();

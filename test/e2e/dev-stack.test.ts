import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, freePortRun } from '../../scripts/infra';

const DEV_ENTRY = join(__dirname, '..', '..', 'dist', 'scripts', 'dev.js');

interface Ports {
  PORT: number;
  POSTGRES_PORT: number;
  MONGODB_PORT: number;
  TEMPORAL_PORT: number;
  TEMPORAL_UI_PORT: number;
  META_SIMULATOR_PORT: number;
  WORKER_PORT: number;
}

/**
 * The start command's process, with its own data folder and ports, on the store the tests run
 * on (WAFLOW_TEST_STORE, PostgreSQL by default), embedded like every other server.
 */
function startStack(dataDir: string, ports: Ports, args: string[] = []) {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    WAFLOW_STORE: process.env.WAFLOW_TEST_STORE ?? 'postgres',
  };
  for (const name of [
    'DATABASE_URL',
    'DATABASE_SCHEMA',
    'MONGODB_URI',
    'MONGODB_DB',
    'TEMPORAL_ADDRESS',
    'NODE_ENV',
  ])
    delete env[name];
  for (const [name, port] of Object.entries(ports)) env[name] = String(port);
  const child = spawn(process.execPath, [DEV_ENTRY, ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  outputs.set(child, () => output);
  const banner = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner in 120 s:\n${output}`)), 120_000);
    child.stdout.on('data', () => {
      if (output.includes('Press Ctrl-C to stop.')) {
        clearTimeout(timer);
        resolve(output);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`start command exited with ${code}:\n${output}`));
    });
  });
  return { child, banner };
}

const outputs = new WeakMap<ChildProcess, () => string>();
/** What the start command has printed so far. */
const output = (child: ChildProcess) => outputs.get(child)?.() ?? '';

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.kill('SIGINT');
  });
}

const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });

const apiKeyIn = (banner: string) => /API key\s+(wf_\S+)/.exec(banner)?.[1];

describe('the start command', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'waflow-dev-'));
  let ports: Ports;

  beforeAll(() => {
    if (!existsSync(DEV_ENTRY)) throw new Error(`${DEV_ENTRY} is missing: run \`npm run build\``);
  });

  // Fresh ports for each start: between the two, a port freed by the first may be taken by
  // another test's server; the data directory is what the second start reuses.
  beforeEach(async () => {
    ports = {
      // The topology also takes PORT + 1 to PORT + 3.
      PORT: await freePortRun(4),
      POSTGRES_PORT: await freePort(),
      MONGODB_PORT: await freePort(),
      TEMPORAL_PORT: await freePort(),
      TEMPORAL_UI_PORT: await freePort(),
      META_SIMULATOR_PORT: await freePort(),
      WORKER_PORT: await freePort(),
    };
  });

  it('brings everything up, prints a working key, and stops every child on Ctrl-C', async () => {
    const { child, banner } = startStack(dataDir, ports);
    try {
      const printed = await banner;
      expect(printed).toContain(`http://localhost:${ports.PORT}/docs`);
      expect(printed).toContain(`http://localhost:${ports.TEMPORAL_UI_PORT}`);
      const key = apiKeyIn(printed);
      expect(key).toBeDefined();

      const res = await fetch(`http://127.0.0.1:${ports.PORT}/api/ready`, {
        headers: { 'x-api-key': key! },
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({
        data: { database: 'ok', temporal: 'ok' },
        status: 'success',
      });
      const me = await fetch(`http://127.0.0.1:${ports.PORT}/api/auth/me`, {
        headers: { 'x-api-key': key! },
      });
      expect(me.status).toBe(200);
      // The sandbox account's templates are synced before the banner, not an hour later.
      const templates = await fetch(`http://127.0.0.1:${ports.PORT}/api/templates`, {
        headers: { 'x-api-key': key! },
      });
      const { data } = (await templates.json()) as { data: { templates: { name: string }[] } };
      expect(data.templates.map((t) => t.name)).toContain('hello_world');
    } finally {
      expect(await stop(child)).toBe(0);
    }
    for (const port of Object.values(ports)) expect(await portOpen(port)).toBe(false);
  });

  it('reuses the data and the key on a second start', async () => {
    const saved = JSON.parse(readFileSync(join(dataDir, 'dev-credentials.json'), 'utf8'));
    const first = (saved as { api_key: string }).api_key;
    expect(first).toMatch(/^wf_/);
    const { child, banner } = startStack(dataDir, ports);
    try {
      const key = apiKeyIn(await banner);
      expect(key).toBe(first);
      const res = await fetch(`http://127.0.0.1:${ports.PORT}/api/api-keys`, {
        headers: { 'x-api-key': key! },
      });
      expect(res.status).toBe(200);
      const { data } = (await res.json()) as { data: { api_keys: unknown[] } };
      expect(data.api_keys).toHaveLength(1);
    } finally {
      expect(await stop(child)).toBe(0);
    }
  });

  it('starts a killed worker again and keeps serving', async () => {
    const { child, banner } = startStack(dataDir, ports);
    try {
      const key = apiKeyIn(await banner);
      const workerPid = () =>
        execFileSync('pgrep', ['-P', String(child.pid), '-f', 'worker/main.js'], {
          encoding: 'utf8',
        }).trim();
      const before = workerPid();
      process.kill(Number(before), 'SIGKILL');
      for (let i = 0; i < 100 && !output(child).includes('worker exited'); i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(output(child)).toContain('worker exited (SIGKILL); restarting in 1 s');
      // A template sync runs on the worker: it answers only once the worker is back.
      const sync = await fetch(`http://127.0.0.1:${ports.PORT}/api/templates/sync`, {
        method: 'POST',
        headers: { 'x-api-key': key!, 'content-type': 'application/json' },
        body: '{}',
      });
      expect(sync.status).toBe(200);
      expect(workerPid()).not.toBe(before);
      expect(child.exitCode).toBeNull();
    } finally {
      expect(await stop(child)).toBe(0);
    }
  });

  it('runs the production topology with --topology: the Temporal server, two APIs, two workers', async () => {
    const topologyDir = mkdtempSync(join(tmpdir(), 'waflow-dev-topology-'));
    const { child, banner } = startStack(topologyDir, ports, ['--topology']);
    try {
      const printed = await banner;
      expect(printed).toContain('Waflow is running in the production topology.');
      expect(printed).toContain(`Temporal       server on 127.0.0.1:${ports.TEMPORAL_PORT}`);
      const key = apiKeyIn(printed);
      for (const port of [ports.PORT, ports.PORT + 2]) {
        const res = await fetch(`http://127.0.0.1:${port}/api/ready`, {
          headers: { 'x-api-key': key! },
        });
        expect(await res.json()).toEqual({
          data: { database: 'ok', temporal: 'ok' },
          status: 'success',
        });
      }
      const children = execFileSync('pgrep', ['-P', String(child.pid), '-a'], {
        encoding: 'utf8',
      });
      expect(children.match(/worker\/main\.js/g)).toHaveLength(2);
      expect(children.match(/api\/server\.js/g)).toHaveLength(2);
      expect(children).toContain('temporal-server');
      expect(children).not.toContain('start-dev');
    } finally {
      expect(await stop(child)).toBe(0);
    }
    for (const port of [ports.PORT, ports.PORT + 2, ports.TEMPORAL_PORT]) {
      expect(await portOpen(port)).toBe(false);
    }
  });
});

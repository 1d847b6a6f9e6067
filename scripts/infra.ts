import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { join } from 'node:path';

/** A child process we started and must stop. */
export interface Managed {
  name: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

export function binPath(
  cacheDir: string,
  name:
    | 'temporal'
    | 'temporal-server'
    | 'temporal-sql-tool'
    | 'ferretdb'
    | 'st'
    | 'stripe-mock'
    | 'moto_server',
): string {
  const path = join(cacheDir, 'bin', name);
  if (!existsSync(path)) {
    throw new Error(`${path} is missing: run \`npm run setup\` (or set the server's address)`);
  }
  return path;
}

/**
 * A port free on loopback now, for a server started next. Drawn from 20000-32767, below the
 * kernel's ephemeral range (32768 up on Linux, 49152 up elsewhere): a port the kernel picks for
 * `listen(0)` is one it may also give an outgoing connection's socket before the server binds
 * it, which then fails with EADDRINUSE. Also below 32768, which some servers need (Temporal
 * keeps its membership ports in a smallint column).
 */
export async function freePort(): Promise<number> {
  for (let tries = 0; tries < 1_000; tries++) {
    const port = 20_000 + Math.floor(Math.random() * 12_768);
    if (await bindable(port)) return port;
  }
  throw new Error('No free port on 127.0.0.1 between 20000 and 32767');
}

/** Bindable on loopback now. */
export function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** The first of `count` consecutive free ports (the topology's run of PORT to PORT + 3). */
export async function freePortRun(count: number): Promise<number> {
  for (;;) {
    const first = await freePort();
    let free = first + count <= 65_536;
    for (let p = first + 1; free && p < first + count; p++) free = await bindable(p);
    if (free) return first;
  }
}

function portOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function assertPortFree(host: string, port: number, what: string): Promise<void> {
  if (await portOpen(host, port)) {
    throw new Error(`Port ${port} is already in use, so ${what} cannot start there.`);
  }
}

export async function waitForPort(
  host: string,
  port: number,
  proc: Managed | null,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc && proc.child.exitCode !== null) {
      throw new Error(`${proc.name} exited with code ${proc.child.exitCode} before it was ready`);
    }
    if (await portOpen(host, port)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${host}:${port}`);
}

/** Spawns a process whose output goes to a log file (or is inherited) and can be stopped. */
export function launch(
  name: string,
  command: string,
  args: string[],
  opts: {
    logFile?: string;
    env?: NodeJS.ProcessEnv;
    cwd?: string;
    uid?: number;
    gid?: number;
    /** PostgreSQL's fast shutdown is SIGINT; its SIGTERM waits for every client. */
    stopSignal?: NodeJS.Signals;
  } = {},
): Managed {
  const child = spawn(command, args, {
    cwd: opts.cwd,
    env: opts.env,
    uid: opts.uid,
    gid: opts.gid,
    stdio: opts.logFile ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'inherit', 'inherit'],
  });
  if (opts.logFile) {
    const log = createWriteStream(opts.logFile, { flags: 'a' });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
  }
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  return {
    name,
    child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(opts.stopSignal ?? 'SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export interface FerretOptions {
  bin: string;
  dataDir: string;
  port: number;
  logFile?: string;
}

export async function startFerret(o: FerretOptions): Promise<Managed> {
  mkdirSync(o.dataDir, { recursive: true });
  await assertPortFree('127.0.0.1', o.port, 'FerretDB');
  const proc = launch(
    'ferretdb',
    o.bin,
    [
      '--handler=sqlite',
      `--sqlite-url=file:${o.dataDir}/`,
      `--state-dir=${o.dataDir}`,
      `--listen-addr=127.0.0.1:${o.port}`,
      '--debug-addr=127.0.0.1:0',
      '--telemetry=disable',
      '--log-level=warn',
    ],
    { logFile: o.logFile },
  );
  await waitForPort('127.0.0.1', o.port, proc);
  return proc;
}

export interface TemporalOptions {
  bin: string;
  dbFile: string;
  port: number;
  uiPort: number | null;
  logFile?: string;
  /** Serves the server's Prometheus metrics on this loopback port (profiling). */
  metricsPort?: number;
}

export async function startTemporal(o: TemporalOptions): Promise<Managed> {
  await assertPortFree('127.0.0.1', o.port, 'Temporal');
  const ui = o.uiPort === null ? ['--headless'] : ['--ui-port', String(o.uiPort)];
  const proc = launch(
    'temporal',
    o.bin,
    [
      'server',
      'start-dev',
      '--ip',
      '127.0.0.1',
      '--port',
      String(o.port),
      '--db-filename',
      o.dbFile,
      '--log-level',
      'warn',
      ...ui,
      ...(o.metricsPort ? ['--metrics-port', String(o.metricsPort)] : []),
    ],
    { logFile: o.logFile },
  );
  await waitForPort('127.0.0.1', o.port, proc);
  return proc;
}

/** Waits until Temporal answers RPCs on its default namespace, not just until its port opens. */
export async function waitForTemporal(address: string, namespace: string, timeoutMs = 60_000) {
  const { Connection } = await import('@temporalio/client');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 2_000 });
      try {
        await connection.workflowService.describeNamespace({ namespace });
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** stripe-mock: Stripe's API shapes, stateless, over plain HTTP on loopback. */
export async function startStripeMock(o: {
  bin: string;
  port: number;
  logFile?: string;
}): Promise<Managed> {
  await assertPortFree('127.0.0.1', o.port, 'stripe-mock');
  // Its HTTPS listener would take port 12112 on every interface unless told otherwise.
  const args = ['-http-addr', `127.0.0.1:${o.port}`, '-https-addr', '127.0.0.1:'];
  const proc = launch('stripe-mock', o.bin, args, { logFile: o.logFile });
  await waitForPort('127.0.0.1', o.port, proc);
  return proc;
}

/**
 * moto in server mode: an S3-compatible server (in memory) on loopback, for the S3 media store's
 * tests. Any access key is accepted.
 */
export async function startMoto(o: {
  bin: string;
  port: number;
  logFile?: string;
}): Promise<Managed> {
  await assertPortFree('127.0.0.1', o.port, 'moto');
  const proc = launch('moto', o.bin, ['-H', '127.0.0.1', '-p', String(o.port)], {
    logFile: o.logFile,
  });
  await waitForPort('127.0.0.1', o.port, proc);
  return proc;
}

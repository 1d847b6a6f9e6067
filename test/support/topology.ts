import { WORKER_ENV, WORKER_NODE_FLAGS } from '../../worker/process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configEnv, type Config, type Env } from '../../lib/config';
import { freePort, launch, waitForPort, type Managed } from '../../scripts/infra';
import { startThrowawayPostgres } from '../../scripts/postgres';
import { startTemporalServer, type TemporalServer } from '../../scripts/temporal-server';
import { createMetaSimulator, type MetaSimulator, type MetaSimulatorOptions } from '../../sim/meta';
import { testConfig } from './config';

const DIST = join(__dirname, '..', '..', 'dist');

/** One of the topology's Waflow processes, which a test may kill and start again. */
export interface Replica {
  name: string;
  /** Its port: the API's HTTP port (the worker picks any free one). */
  port: number;
  proc: Managed;
}

export interface Topology {
  dir: string;
  /** The configuration every process runs with (its store schema, task queue, simulator). */
  config: Config;
  sim: MetaSimulator;
  temporal: TemporalServer;
  postgres: { url: string; proc: Managed };
  apis: Replica[];
  workers: Replica[];
  /** http://127.0.0.1:<port> of each API process. */
  apiUrls(): string[];
  /** SIGKILL, as a crash: no shutdown hook runs. */
  kill(replica: Replica): Promise<void>;
  /** Starts a killed (or stopped) replica again on the same port. */
  start(replica: Replica): Promise<void>;
  /** SIGSTOP to PostgreSQL's postmaster and every backend: every query and connect hangs. */
  pausePostgres(): number[];
  /** SIGCONT to what `pausePostgres` stopped. */
  continuePostgres(pids: number[]): void;
  close(): Promise<void>;
}

export interface TopologyOptions {
  env?: Env;
  sim?: Partial<MetaSimulatorOptions>;
}

/**
 * The production topology on this machine, for one suite: a PostgreSQL of its own, the real
 * Temporal server on it, the Meta simulator (in this process, its send log at hand), and two API
 * and two worker processes from `dist/` (run `npm run build` first), each logging to `dir`.
 */
export async function startTopology(o: TopologyOptions = {}): Promise<Topology> {
  const dir = mkdtempSync(join(tmpdir(), 'waflow-topology-'));
  // As root, PostgreSQL runs as an unprivileged user, who must reach its cluster in here.
  chmodSync(dir, 0o711);
  const stops: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => {});
    // The logs stay, to read after a failure; the cluster is the bulk.
    rmSync(join(dir, 'postgres'), { recursive: true, force: true });
  };
  try {
    const base = testConfig();
    const postgres = await startThrowawayPostgres({ cacheDir: base.cacheDir, dir });
    stops.push(() => postgres.proc.stop());
    const temporal = await startTemporalServer({
      cacheDir: base.cacheDir,
      dir: join(dir, 'temporal'),
      postgresUrl: postgres.url,
      namespace: base.temporal.namespace,
    });
    stops.push(() => temporal.stop());

    const simPort = await freePort();
    const apiPorts = [await freePort(), await freePort()];
    const config = testConfig({
      LOG_LEVEL: 'warn',
      DATABASE_URL: postgres.url,
      TEMPORAL_ADDRESS: temporal.address,
      SANDBOX_MODE: 'true',
      META_SIMULATOR_URL: `http://127.0.0.1:${simPort}`,
      META_GRAPH_URL: `http://127.0.0.1:${simPort}`,
      PUBLIC_URL: `http://127.0.0.1:${apiPorts[0]}`,
      ...o.env,
    });
    const sim = await createMetaSimulator({
      port: simPort,
      accessToken: config.meta.simulator.accessToken,
      appSecret: config.meta.simulator.appSecret,
      webhookUrl: `http://127.0.0.1:${apiPorts[0]}/api/webhooks/meta`,
      ...o.sim,
    });
    stops.push(() => sim.close());

    // What configEnv leaves out (the rate limits, LOG_LEVEL) reaches the children as given;
    // request logs cost CPU here.
    const env = { ...configEnv(config), ...o.env, LOG_LEVEL: o.env?.LOG_LEVEL ?? 'warn' };
    const replica = (
      name: string,
      script: string,
      flags: string[],
      port: number,
      extra: Env,
    ): Replica => {
      const start = () =>
        launch(name, process.execPath, [...flags, join(DIST, script)], {
          env: { ...env, ...extra },
          logFile: join(dir, `${name}.log`),
        });
      const r: Replica = { name, port, proc: start() };
      starters.set(r, start);
      stops.push(() => r.proc.stop());
      return r;
    };
    const starters = new Map<Replica, () => Managed>();
    const api = (i: number) =>
      replica(`api-${i + 1}`, 'api/server.js', ['--no-node-snapshot'], apiPorts[i]!, {
        PORT: String(apiPorts[i]),
      });
    const worker = (i: number) =>
      replica(`worker-${i + 1}`, 'worker/main.js', WORKER_NODE_FLAGS, 0, {
        ...WORKER_ENV,
        WORKER_PORT: '0',
      });
    // The first API migrates the store's schema before the others open it.
    const apis = [api(0)];
    await waitForPort('127.0.0.1', apiPorts[0]!, apis[0]!.proc);
    apis.push(api(1));
    const workers = [worker(0), worker(1)];
    await waitForPort('127.0.0.1', apiPorts[1]!, apis[1]!.proc);

    return {
      dir,
      config,
      sim,
      temporal,
      postgres,
      apis,
      workers,
      apiUrls: () => apis.map((a) => `http://127.0.0.1:${a.port}`),
      async kill(r) {
        const { child } = r.proc;
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
      },
      async start(r) {
        r.proc = starters.get(r)!();
        if (r.port) await waitForPort('127.0.0.1', r.port, r.proc);
      },
      pausePostgres() {
        const postmaster = postgres.proc.child.pid!;
        // The postmaster first, so that it forks no backend the list below would miss.
        process.kill(postmaster, 'SIGSTOP');
        const pids = [postmaster, ...childrenOf(postmaster)];
        for (const pid of pids.slice(1)) process.kill(pid, 'SIGSTOP');
        return pids;
      },
      continuePostgres(pids) {
        for (const pid of [...pids].reverse()) {
          try {
            process.kill(pid, 'SIGCONT');
          } catch {
            // Gone meanwhile.
          }
        }
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/** The processes whose parent is `pid` (PostgreSQL's backends and helpers). */
function childrenOf(pid: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) found.push(Number(entry));
    } catch {
      // Gone since the listing.
    }
  }
  return found;
}

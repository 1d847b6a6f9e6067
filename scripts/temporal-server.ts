import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { msToTs } from '@temporalio/common/lib/time';
import pg from 'pg';
import {
  assertPortFree,
  binPath,
  bindable,
  freePort,
  launch,
  waitForPort,
  waitForTemporal,
  type Managed,
} from './infra';

/**
 * The real Temporal server (not the CLI's dev server) on PostgreSQL, as production runs it: its
 * schema set up by Temporal's own SQL tool, its four services (frontend, history, matching,
 * worker) in one process on loopback, and the namespace registered. setup.sh builds both
 * binaries and copies the schema files beside them.
 */
export interface TemporalServerOptions {
  cacheDir: string;
  /** Its config files and, unless `logFile` says otherwise, its log. */
  dir: string;
  /** A PostgreSQL URL whose user may create databases; its own database is not used. */
  postgresUrl: string;
  namespace: string;
  /** The frontend's gRPC port on 127.0.0.1; a free one when absent. */
  port?: number;
  logFile?: string;
  /** The two databases it creates on that server. */
  databases?: { main: string; visibility: string };
  /** Told when the server exits by itself, before it is started again. */
  onExit?: (reason: string) => void;
}

export interface TemporalServer extends Managed {
  /** host:port of the frontend, for clients and workers. */
  address: string;
  /** The frontend's port and the other services' ones, kept across restarts. */
  ports: TemporalServerPorts;
  /** Stops the server (SIGTERM) and starts it again on the same config and data. */
  restart(): Promise<void>;
}

export interface TemporalServerPorts {
  frontend: number;
  frontendHttp: number;
  history: number;
  matching: number;
  worker: number;
  membership: { frontend: number; history: number; matching: number; worker: number };
}

const GRPC_NOT_FOUND = 5;
const GRPC_ALREADY_EXISTS = 6;

/** Kept three days: enough to look at a run's workflows, short enough to stay small. */
const RETENTION = '3 days';

export async function startTemporalServer(o: TemporalServerOptions): Promise<TemporalServer> {
  const serverBin = binPath(o.cacheDir, 'temporal-server');
  const sqlTool = binPath(o.cacheDir, 'temporal-sql-tool');
  const schemaDir = join(o.cacheDir, 'temporal-server-schema');
  if (!existsSync(schemaDir)) {
    throw new Error(`${schemaDir} is missing: run \`npm run setup\``);
  }
  const databases = o.databases ?? { main: 'temporal', visibility: 'temporal_visibility' };
  const server = new URL(o.postgresUrl);
  mkdirSync(o.dir, { recursive: true });
  for (const [database, schema] of [
    [databases.main, 'temporal'],
    [databases.visibility, 'visibility'],
  ] as const) {
    await setupSchema(sqlTool, server, database, join(schemaDir, schema, 'versioned'));
  }

  const ports = await pickPorts(join(o.dir, 'temporal-server-ports.json'), o.port);
  const configFile = join(o.dir, 'temporal-server.json');
  const dynamicConfigFile = join(o.dir, 'temporal-dynamic-config.yaml');
  writeFileSync(dynamicConfigFile, DYNAMIC_CONFIG);
  writeFileSync(
    configFile,
    JSON.stringify(serverConfig(server, databases, ports, dynamicConfigFile), null, 2),
    { mode: 0o600 },
  );
  const logFile = o.logFile ?? join(o.dir, 'temporal-server.log');
  const address = `127.0.0.1:${ports.frontend}`;

  let proc: Managed;
  const start = async () => {
    await assertPortFree('127.0.0.1', ports.frontend, 'the Temporal server');
    proc = launch(
      'temporal-server',
      serverBin,
      ['--config-file', configFile, '--allow-no-auth', 'start'],
      { logFile },
    );
    await waitForPort('127.0.0.1', ports.frontend, proc);
    const running = () => {
      const { exitCode, signalCode } = proc.child;
      if (exitCode !== null || signalCode !== null) {
        throw new Error(
          `The Temporal server exited (${signalCode ?? exitCode}) before it was ready: see ${logFile}`,
        );
      }
    };
    await registerNamespace(address, o.namespace, running);
    await waitForTemporal(address, o.namespace);
    await waitForServices(address, o.namespace, running);
  };
  // As compose's `restart: unless-stopped`: a server that exits by itself is started again. It
  // does exit, fatally, when its database stops answering while its worker service starts.
  let stopped = false;
  let restarting: Promise<void> | null = null;
  const supervise = () => {
    const current = proc;
    current.child.once('exit', (code, signal) => {
      if (stopped || current !== proc) return;
      o.onExit?.(`the Temporal server exited (${signal ?? code}); starting it again`);
      restarting = (async () => {
        while (!stopped) {
          await sleep(1_000);
          try {
            await start();
            supervise();
            return;
          } catch (err) {
            o.onExit?.(`the Temporal server did not start again: ${(err as Error).message}`);
            await proc.stop();
          }
        }
      })().finally(() => (restarting = null));
    });
  };
  await start();
  supervise();
  return {
    name: 'temporal-server',
    address,
    ports,
    get child() {
      return proc.child;
    },
    async stop() {
      stopped = true;
      await restarting;
      await proc.stop();
    },
    async restart() {
      stopped = true;
      await restarting;
      await proc.stop();
      stopped = false;
      await start();
      supervise();
    },
  };
}

/**
 * create-database, setup-schema -v 0.0 and update-schema, as Temporal's admin-tools image does;
 * each step leaves a database that already has them as it is, so this runs on every start.
 */
async function setupSchema(tool: string, pg: URL, database: string, versioned: string) {
  const env = {
    ...process.env,
    SQL_PLUGIN: 'postgres12',
    SQL_HOST: pg.hostname,
    SQL_PORT: pg.port || '5432',
    SQL_USER: decodeURIComponent(pg.username),
    SQL_PASSWORD: decodeURIComponent(pg.password),
    SQL_DATABASE: database,
  };
  if (!(await databaseExists(env))) await run(tool, ['create-database'], env);
  await run(tool, ['setup-schema', '-v', '0.0'], env);
  await run(tool, ['update-schema', '-d', versioned], env);
}

async function databaseExists(env: NodeJS.ProcessEnv): Promise<boolean> {
  const client = new pg.Client({
    host: env.SQL_HOST,
    port: Number(env.SQL_PORT),
    user: env.SQL_USER,
    password: env.SQL_PASSWORD,
    database: 'postgres',
  });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [
      env.SQL_DATABASE,
    ]);
    return !!rowCount;
  } finally {
    await client.end();
  }
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0
        ? resolve()
        : reject(
            new Error(
              `temporal-sql-tool ${args[0]} on database ${env.SQL_DATABASE} failed (${code}):\n${output}`,
            ),
          ),
    );
  });
}

/**
 * Free ports, the same as last time in this folder when they still are: the server finds its
 * peers through the membership table, and a start under new ports waits about half a minute for
 * the previous run's entries there to fail.
 */
async function pickPorts(file: string, frontend?: number): Promise<TemporalServerPorts> {
  if (existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as TemporalServerPorts;
    const ports = { ...saved, frontend: frontend ?? saved.frontend };
    const all = [
      ports.frontend,
      ports.frontendHttp,
      ports.history,
      ports.matching,
      ports.worker,
      ...Object.values(ports.membership),
    ];
    if ((await Promise.all(all.map(bindable))).every(Boolean)) return ports;
  }
  const ports = {
    frontend: frontend ?? (await freePort()),
    frontendHttp: await freePort(),
    history: await freePort(),
    matching: await freePort(),
    worker: await freePort(),
    membership: {
      // Stored in a smallint column: freePort's are below 32768.
      frontend: await freePort(),
      history: await freePort(),
      matching: await freePort(),
      worker: await freePort(),
    },
  };
  writeFileSync(file, JSON.stringify(ports));
  return ports;
}

/**
 * The server's config, modelled on the server repository's `config/development-postgres12.yaml`
 * (JSON is YAML too): PostgreSQL for both stores, every service on loopback, one cluster, no
 * archival.
 */
function serverConfig(
  pg: URL,
  databases: { main: string; visibility: string },
  ports: TemporalServerPorts,
  dynamicConfigFile: string,
) {
  const sql = (databaseName: string, maxConns: number) => ({
    sql: {
      pluginName: 'postgres12',
      databaseName,
      connectAddr: `${pg.hostname}:${pg.port || '5432'}`,
      connectProtocol: 'tcp',
      user: decodeURIComponent(pg.username),
      password: decodeURIComponent(pg.password),
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  });
  const service = (grpcPort: number, membershipPort: number, httpPort?: number) => ({
    rpc: { grpcPort, membershipPort, bindOnLocalHost: true, ...(httpPort && { httpPort }) },
  });
  return {
    log: { stdout: true, level: 'warn' },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      // Fixed for the life of the cluster; four is plenty on one machine.
      numHistoryShards: 4,
      datastores: {
        'postgres-default': sql(databases.main, 20),
        'postgres-visibility': sql(databases.visibility, 4),
      },
    },
    global: { membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' } },
    services: {
      frontend: service(ports.frontend, ports.membership.frontend, ports.frontendHttp),
      history: service(ports.history, ports.membership.history),
      matching: service(ports.matching, ports.membership.matching),
      worker: service(ports.worker, ports.membership.worker),
    },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: {
        active: {
          enabled: true,
          initialFailoverVersion: 1,
          rpcName: 'frontend',
          rpcAddress: `127.0.0.1:${ports.frontend}`,
          httpAddress: `127.0.0.1:${ports.frontendHttp}`,
        },
      },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    archival: { history: { state: 'disabled' }, visibility: { state: 'disabled' } },
    namespaceDefaults: {
      archival: { history: { state: 'disabled' }, visibility: { state: 'disabled' } },
    },
    dynamicConfigClient: { filepath: dynamicConfigFile, pollInterval: '10s' },
  };
}

/** Read every 10 s: an operator tunes the running server here (rates, limits). */
const DYNAMIC_CONFIG = `# Temporal server dynamic config: https://docs.temporal.io/references/dynamic-configuration
`;

/** Registers the namespace, once: a second start finds it there. */
async function registerNamespace(
  address: string,
  namespace: string,
  running: () => void,
  timeoutMs = 60_000,
) {
  const { Connection } = await import('@temporalio/client');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    running();
    const connection = await Connection.connect({ address, connectTimeout: 2_000 }).catch(
      () => null,
    );
    try {
      if (connection) {
        await connection.workflowService.registerNamespace({
          namespace,
          workflowExecutionRetentionPeriod: msToTs(RETENTION),
        });
        return;
      }
    } catch (err) {
      if ((err as { code?: number }).code === GRPC_ALREADY_EXISTS) return;
      if (Date.now() > deadline) throw err;
    } finally {
      await connection?.close();
    }
    if (Date.now() > deadline) throw new Error(`The Temporal server at ${address} never answered`);
    await sleep(250);
  }
}

/**
 * The frontend answers before history and matching have taken their shards and partitions:
 * until then starts fail as unavailable. Ready means both answer for the namespace.
 */
async function waitForServices(
  address: string,
  namespace: string,
  running: () => void,
  timeoutMs = 60_000,
) {
  const { Connection } = await import('@temporalio/client');
  const connection = await Connection.connect({ address });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      running();
      try {
        await connection.workflowService.describeTaskQueue({
          namespace,
          taskQueue: { name: 'waflow-readiness' },
        });
        await connection.workflowService
          .describeWorkflowExecution({ namespace, execution: { workflowId: 'waflow-readiness' } })
          .catch((err: { code?: number }) => {
            if (err.code !== GRPC_NOT_FOUND) throw err;
          });
        return;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await sleep(250);
      }
    }
  } finally {
    await connection.close();
  }
}

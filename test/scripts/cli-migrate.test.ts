import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Env } from '../../lib/config';
import { loadMigrations } from '../../store/postgres/migrate';
import { testServers } from '../support/config';

const CLI = join(__dirname, '..', '..', 'dist', 'scripts', 'cli.js');
const run = promisify(execFile);

/**
 * The compose file's migrate job: `node dist/scripts/cli.js db:migrate` in production, its
 * secrets given as files, before any api or worker has started.
 */
describe('waflow db:migrate', () => {
  const dir = mkdtempSync(join(tmpdir(), 'waflow-migrate-'));
  const secret = (name: string, value: string) => {
    const path = join(dir, name);
    writeFileSync(path, `${value}\n`);
    return path;
  };

  /** The job's environment, on a schema (or MongoDB database) of its own. */
  function jobEnv(store: 'postgres' | 'mongo'): Env {
    const { databaseUrl, mongoUri } = testServers();
    const url = new URL(databaseUrl);
    const password = decodeURIComponent(url.password);
    url.password = '';
    const id = randomUUID().replaceAll('-', '').slice(0, 12);
    return {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      WAFLOW_STORE: store,
      DATABASE_URL: url.toString(),
      DATABASE_PASSWORD_FILE: secret(`pw-${id}`, password),
      DATABASE_SCHEMA: `test_${id}`,
      MONGODB_URI: mongoUri,
      MONGODB_DB: `test_${id}`,
      TEMPORAL_ADDRESS: '127.0.0.1:1',
      ENCRYPTION_KEY_FILE: secret(`key-${id}`, randomBytes(32).toString('base64')),
      METRICS_TOKEN_FILE: secret(`token-${id}`, 'scrape-token'),
    };
  }

  const migrate = async (env: Env) =>
    JSON.parse((await run(process.execPath, [CLI, 'db:migrate'], { env })).stdout) as Record<
      string,
      unknown
    >;

  it('applies every PostgreSQL migration once, then none', async () => {
    const env = jobEnv('postgres');
    const all = loadMigrations();
    const first = await migrate(env);
    expect(first).toMatchObject({
      store: 'postgres',
      schema: env.DATABASE_SCHEMA,
      current_version: all.at(-1)!.version,
    });
    expect(first.applied).toHaveLength(all.length);
    expect(await migrate(env)).toMatchObject({ applied: [] });
  });

  it('creates the MongoDB indexes with the mongo store', async () => {
    const out = await migrate(jobEnv('mongo'));
    expect(out).toMatchObject({ store: 'mongo' });
    expect(out.indexes_ensured).toBeGreaterThan(0);
  });

  it('stops with the variable named when a secret file is missing', async () => {
    const env = { ...jobEnv('postgres'), ENCRYPTION_KEY_FILE: join(dir, 'missing') };
    await expect(migrate(env)).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining(`ENCRYPTION_KEY_FILE: cannot read ${join(dir, 'missing')}`),
    });
  });
});

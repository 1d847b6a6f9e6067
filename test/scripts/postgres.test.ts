import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../scripts/infra';
import {
  embeddedPostgresBin,
  findPostgresBin,
  POSTGRES_MAJOR,
  startPostgres,
} from '../../scripts/postgres';

/** A folder with `postgres` and `initdb` stand-ins that say they are `version`. */
function fakeServer(dir: string, version: string): string {
  mkdirSync(dir, { recursive: true });
  for (const name of ['postgres', 'initdb']) {
    const path = join(dir, name);
    writeFileSync(path, `#!/bin/sh\necho "${name} (PostgreSQL) ${version}"\n`);
    chmodSync(path, 0o755);
  }
  return dir;
}

describe('the embedded PostgreSQL server', () => {
  const savedPath = process.env.PATH;
  afterEach(() => {
    process.env.PATH = savedPath;
  });

  it('is of the embedded major version: another one on the machine is passed over for the cache', () => {
    const root = mkdtempSync(join(tmpdir(), 'waflow-pgbin-'));
    chmodSync(root, 0o755);
    const other = fakeServer(join(root, 'pg15', 'bin'), '15.18 (Debian 15.18-0+deb12u1)');
    const cacheDir = join(root, 'cache');
    const cached = fakeServer(embeddedPostgresBin(cacheDir), `${POSTGRES_MAJOR}.10`);
    process.env.PATH = other;
    expect(findPostgresBin(cacheDir)).toBe(cached);
    const same = fakeServer(join(root, 'pg-same', 'bin'), `${POSTGRES_MAJOR}.2`);
    process.env.PATH = `${other}:${same}`;
    expect(findPostgresBin(cacheDir)).toBe(same);
    process.env.PATH = other;
    expect(findPostgresBin(join(root, 'empty-cache'))).toBeNull();
  });

  it('refuses a data folder made by another major version, naming both', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'waflow-pgdata-'));
    chmodSync(dataDir, 0o711);
    writeFileSync(join(dataDir, 'PG_VERSION'), '15\n');
    const attempt = startPostgres({
      cacheDir: process.env.WAFLOW_CACHE_DIR ?? join(homedir(), '.cache', 'waflow'),
      dataDir,
      port: await freePort(),
      user: 'waflow',
      password: 'pw',
      database: 'waflow',
      logFile: join(dataDir, 'postgres.log'),
    });
    await expect(attempt).rejects.toThrow(
      `was made by PostgreSQL 15; the embedded server is PostgreSQL ${POSTGRES_MAJOR}`,
    );
  });
});

import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = join(__dirname, '..', '..');

describe('package-lock.json', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'waflow-lock-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // A lock that an install rewrites dirties a fresh clone and makes setup reinstall every time.
  it('is left unchanged by a fresh install', async () => {
    for (const file of ['package.json', 'package-lock.json']) {
      copyFileSync(join(root, file), join(dir, file));
    }
    await run(
      'npm',
      ['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund'],
      { cwd: dir },
    );
    const after = readFileSync(join(dir, 'package-lock.json'), 'utf8');
    expect(after === readFileSync(join(root, 'package-lock.json'), 'utf8')).toBe(true);
  }, 120_000);
});

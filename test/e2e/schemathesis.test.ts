import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { binPath } from '../../scripts/infra';
import { createMessagingHarness, type MessagingHarness } from '../support/messaging';

/**
 * A short run of schemathesis against the real API (PostgreSQL, Temporal, the Meta simulator):
 * every phase on every operation, asserting that nothing answers 5xx. The longer run with every
 * check is in the README's testing section.
 */
let h: MessagingHarness;
beforeAll(async () => {
  h = await createMessagingHarness();
});
afterAll(() => h.close());

function schemathesis(args: string[]) {
  return new Promise<{ code: number; output: string }>((resolve) => {
    execFile(
      binPath(h.config.cacheDir, 'st'),
      args,
      {
        // Its cache goes to the working directory: a throwaway one, not the project.
        cwd: mkdtempSync(join(tmpdir(), 'waflow-schemathesis-')),
        timeout: 240_000,
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, NO_COLOR: '1' },
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, output: `${stdout}${stderr}` });
      },
    );
  });
}

it('finds no server error in any operation', async () => {
  const { port } = h.app.server.address() as AddressInfo;
  const { code, output } = await schemathesis([
    'run',
    `http://127.0.0.1:${port}/api/openapi.json`,
    '--header',
    `X-API-Key: ${h.org.api_key.key}`,
    // Revoking the key the run authenticates with would leave every later request a 401.
    '--exclude-name',
    'DELETE /api/api-keys/{id}',
    '--checks',
    'not_a_server_error',
    '--phases',
    'examples,coverage,fuzzing,stateful',
    '--max-examples',
    '10',
    // One: with two threads, Python 3.11's ast module (which Hypothesis uses to describe its
    // filters) can fail its recursion-depth check, a crash of the tool and not a finding.
    '--workers',
    '1',
    '--seed',
    '1',
  ]);
  const operations = /Tested: (\d+)/.exec(output)?.[1];
  // On failure, the report's first failing operation is in the diff.
  const failure = /_{3,} .+ _{3,}[\s\S]*?Reproduce with:[\s\S]*?\n\n/.exec(output)?.[0] ?? null;
  expect({ code, failure }).toEqual({ code: 0, failure: null });
  expect(Number(operations)).toBeGreaterThan(30);
}, 300_000);

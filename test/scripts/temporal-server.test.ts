import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { startTemporalServer, type TemporalServer } from '../../scripts/temporal-server';
import { waitUntil } from '../support/send-queue';
import { testConfig } from '../support/config';

jest.setTimeout(180_000);

/** The real Temporal server on the suite's PostgreSQL, in databases of this test's own. */
describe('the Temporal server launcher', () => {
  let server: TemporalServer | undefined;
  const exits: string[] = [];
  afterAll(() => server?.stop());

  it('starts the server again when it exits by itself, as a restart policy would', async () => {
    const config = testConfig();
    const suffix = Math.random().toString(36).slice(2, 8);
    server = await startTemporalServer({
      cacheDir: config.cacheDir,
      dir: mkdtempSync(join(tmpdir(), 'waflow-temporal-server-')),
      postgresUrl: config.postgres.url,
      namespace: config.temporal.namespace,
      databases: { main: `temporal_${suffix}`, visibility: `temporal_visibility_${suffix}` },
      onExit: (reason) => exits.push(reason),
    });
    const first = server.child.pid;
    server.child.kill('SIGKILL');
    await waitUntil('the server is back', async () => server!.child.pid !== first, 60_000);
    expect(exits[0]).toBe('the Temporal server exited (SIGKILL); starting it again');
    // Back means answering: the namespace is described on the same address.
    await waitUntil(
      'the frontend answers',
      async () => {
        const connection = await Connection.connect({ address: server!.address }).catch(() => null);
        if (!connection) return false;
        try {
          await connection.workflowService.describeNamespace({
            namespace: config.temporal.namespace,
          });
          return true;
        } catch {
          return false;
        } finally {
          await connection.close();
        }
      },
      60_000,
    );
    // Stopped on purpose, it stays stopped.
    await server.stop();
    expect(exits).toHaveLength(1);
  });
});

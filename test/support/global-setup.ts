import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../lib/config';
import {
  binPath,
  freePort,
  startFerret,
  startMoto,
  startStripeMock,
  startTemporal,
  waitForTemporal,
  type Managed,
} from '../../scripts/infra';
import { startThrowawayPostgres } from '../../scripts/postgres';
import { writeTestWorkflowBundle } from './workflow-bundle';

/**
 * Starts a throwaway PostgreSQL cluster, a real FerretDB (the repository suite runs against
 * both stores) and a real Temporal dev server for the whole run, on free ports and in a
 * temporary folder, unless DATABASE_URL / MONGODB_URI / TEMPORAL_ADDRESS point at servers to use.
 * Beside them, stripe-mock and an S3-compatible server (moto) for the S3 media store, and
 * the workflows bundled once for every suite's workers.
 */
export interface TestGlobals {
  __waflowInfra?: { dir: string; started: Managed[] };
}

export default async function globalSetup(): Promise<void> {
  const config = loadConfig();
  const dir = mkdtempSync(join(tmpdir(), 'waflow-test-'));
  // As root, PostgreSQL runs as an unprivileged user, who must reach its cluster in here.
  chmodSync(dir, 0o711);
  const started: Managed[] = [];
  let databaseUrl = config.postgres.embedded ? '' : config.postgres.url;
  let mongoUri = config.mongo.embedded ? '' : config.mongo.uri;
  let temporalAddress = config.temporal.embedded ? '' : config.temporal.address;
  let stripeMockUrl = process.env.STRIPE_MOCK_URL ?? '';
  let s3Url = process.env.WAFLOW_TEST_S3_URL ?? '';
  let workflowBundle = '';

  try {
    if (!databaseUrl) {
      const postgres = await startThrowawayPostgres({
        cacheDir: config.cacheDir,
        dir,
        ephemeral: true,
      });
      started.push(postgres.proc);
      databaseUrl = postgres.url;
    }
    if (!mongoUri) {
      const port = await freePort();
      started.push(
        await startFerret({
          bin: binPath(config.cacheDir, 'ferretdb'),
          dataDir: join(dir, 'ferretdb'),
          port,
          logFile: join(dir, 'ferretdb.log'),
        }),
      );
      mongoUri = `mongodb://127.0.0.1:${port}/`;
    }
    if (!temporalAddress) {
      const port = await freePort();
      started.push(
        await startTemporal({
          bin: binPath(config.cacheDir, 'temporal'),
          dbFile: join(dir, 'temporal.db'),
          port,
          uiPort: null,
          logFile: join(dir, 'temporal.log'),
        }),
      );
      temporalAddress = `127.0.0.1:${port}`;
    }
    await waitForTemporal(temporalAddress, config.temporal.namespace);
    if (!process.env.STRIPE_MOCK_URL) {
      const port = await freePort();
      started.push(
        await startStripeMock({
          bin: binPath(config.cacheDir, 'stripe-mock'),
          port,
          logFile: join(dir, 'stripe-mock.log'),
        }),
      );
      stripeMockUrl = `http://127.0.0.1:${port}`;
    }
    if (!s3Url) {
      const port = await freePort();
      started.push(
        await startMoto({
          bin: binPath(config.cacheDir, 'moto_server'),
          port,
          logFile: join(dir, 'moto.log'),
        }),
      );
      s3Url = `http://127.0.0.1:${port}`;
    }
    workflowBundle = await writeTestWorkflowBundle(dir);
  } catch (err) {
    // jest skips the teardown when the setup fails: stop what did start.
    for (const proc of started.reverse()) await proc.stop();
    throw err;
  }

  // globalSetup and globalTeardown share this process's globals.
  (globalThis as TestGlobals).__waflowInfra = { dir, started };
  // Test workers are forked after this, so they inherit these.
  process.env.WAFLOW_TEST_DATABASE_URL = databaseUrl;
  process.env.WAFLOW_TEST_MONGODB_URI = mongoUri;
  process.env.WAFLOW_TEST_TEMPORAL_ADDRESS = temporalAddress;
  process.env.WAFLOW_TEST_DIR = dir;
  process.env.WAFLOW_TEST_STRIPE_MOCK_URL = stripeMockUrl;
  process.env.WAFLOW_TEST_S3_URL = s3Url;
  process.env.WAFLOW_TEST_WORKFLOW_BUNDLE = workflowBundle;
}

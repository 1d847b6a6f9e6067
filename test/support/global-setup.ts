import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../lib/config';
import {
  binPath,
  freePort,
  startFerret,
  startTemporal,
  waitForTemporal,
  type Managed,
} from '../../scripts/infra';

/**
 * Starts a real FerretDB and a real Temporal dev server for the whole run, on free ports and
 * in a temporary folder, unless MONGODB_URI / TEMPORAL_ADDRESS point at servers to use.
 */
export interface TestGlobals {
  __waflowInfra?: { dir: string; started: Managed[] };
}

export default async function globalSetup(): Promise<void> {
  const config = loadConfig();
  const dir = mkdtempSync(join(tmpdir(), 'waflow-test-'));
  const started: Managed[] = [];
  let mongoUri = config.mongo.embedded ? '' : config.mongo.uri;
  let temporalAddress = config.temporal.embedded ? '' : config.temporal.address;

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

  // globalSetup and globalTeardown share this process's globals.
  (globalThis as TestGlobals).__waflowInfra = { dir, started };
  // Test workers are forked after this, so they inherit these.
  process.env.WAFLOW_TEST_MONGODB_URI = mongoUri;
  process.env.WAFLOW_TEST_TEMPORAL_ADDRESS = temporalAddress;
  process.env.WAFLOW_TEST_DIR = dir;
}

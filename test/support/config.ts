import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config, type Env } from '../../lib/config';

/** Where the global setup's servers are. */
export function testServers() {
  const databaseUrl = process.env.WAFLOW_TEST_DATABASE_URL;
  const mongoUri = process.env.WAFLOW_TEST_MONGODB_URI;
  const temporalAddress = process.env.WAFLOW_TEST_TEMPORAL_ADDRESS;
  if (!databaseUrl || !mongoUri || !temporalAddress)
    throw new Error('Run tests through jest: its global setup starts the servers');
  return { databaseUrl, mongoUri, temporalAddress };
}

/**
 * A config on the test servers with a PostgreSQL schema, a MongoDB database and a task queue
 * of its own. The store is PostgreSQL unless the overrides or WAFLOW_TEST_STORE say mongo.
 */
export function testConfig(overrides: Env = {}): Config {
  const { databaseUrl, mongoUri, temporalAddress } = testServers();
  const id = randomUUID().replaceAll('-', '').slice(0, 12);
  return loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATA_DIR: mkdtempSync(join(tmpdir(), 'waflow-data-')),
    WAFLOW_STORE: overrides.WAFLOW_STORE ?? process.env.WAFLOW_TEST_STORE ?? 'postgres',
    DATABASE_URL: databaseUrl,
    DATABASE_SCHEMA: `test_${id}`,
    MONGODB_URI: mongoUri,
    MONGODB_DB: `test_${id}`,
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_TASK_QUEUE: `test-${id}`,
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    STRIPE_MOCK_URL: process.env.WAFLOW_TEST_STRIPE_MOCK_URL || undefined,
    ...overrides,
  });
}

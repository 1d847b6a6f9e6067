import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, configEnv, loadConfig, SECRET_SETTINGS } from '../../lib/config';

const tempDir = () => mkdtempSync(join(tmpdir(), 'waflow-config-'));
/** What production needs besides the encryption key. */
const production = { NODE_ENV: 'production', METRICS_TOKEN: 'scrape-token' } as const;

describe('loadConfig', () => {
  it('has working defaults for development', () => {
    const config = loadConfig({ DATA_DIR: tempDir() });
    expect(config.http.port).toBe(3000);
    expect(config.rateLimit).toEqual({ perMinute: 100, perSecond: 10 });
    expect(config.http.bodyLimit).toBe(5 * 1024 * 1024);
    expect(config.store).toBe('postgres');
    expect(config.postgres).toMatchObject({ embedded: true, schema: 'public', port: 5433 });
    expect(config.postgres.url).toMatch(/^postgres:\/\/waflow:[^@]+@127\.0\.0\.1:5433\/waflow$/);
    expect(config.mongo).toMatchObject({ embedded: true, uri: 'mongodb://127.0.0.1:27017/' });
    expect(config.temporal).toMatchObject({ embedded: true, address: '127.0.0.1:7233' });
    expect(config.auth.cookieSecure).toBe(false);
    expect(config.sandbox).toBe(true);
  });

  it('listens on loopback in development and on every interface in production', () => {
    expect(loadConfig({ DATA_DIR: tempDir() }).http.host).toBe('127.0.0.1');
    const key = randomBytes(32).toString('base64');
    expect(loadConfig({ ...production, ENCRYPTION_KEY: key }).http.host).toBe('0.0.0.0');
    expect(loadConfig({ DATA_DIR: tempDir(), HOST: '0.0.0.0' }).http.host).toBe('0.0.0.0');
  });

  it('refuses inline action isolation in production', () => {
    const key = randomBytes(32).toString('base64');
    expect(() =>
      loadConfig({ NODE_ENV: 'production', ENCRYPTION_KEY: key, ACTIONS_ISOLATION: 'inline' }),
    ).toThrow(/ACTIONS_ISOLATION=inline is refused in production/);
    expect(loadConfig({ DATA_DIR: tempDir(), ACTIONS_ISOLATION: 'inline' }).actions.isolation).toBe(
      'inline',
    );
  });

  it('leaves sandbox mode in production unless asked for', () => {
    const key = randomBytes(32).toString('base64');
    expect(loadConfig({ ...production, ENCRYPTION_KEY: key }).sandbox).toBe(false);
    const sandboxed = loadConfig({
      ...production,
      ENCRYPTION_KEY: key,
      SANDBOX_MODE: 'true',
    });
    expect(sandboxed.sandbox).toBe(true);
    expect(loadConfig({ DATA_DIR: tempDir(), SANDBOX_MODE: 'false' }).sandbox).toBe(false);
    expect(() => loadConfig({ DATA_DIR: tempDir(), SANDBOX_MODE: 'maybe' })).toThrow(
      /SANDBOX_MODE/,
    );
  });

  it('uses configured servers instead of embedded ones', () => {
    const config = loadConfig({
      DATA_DIR: tempDir(),
      DATABASE_URL: 'postgres://waflow:pw@db.internal:5432/waflow',
      DATABASE_SCHEMA: 'tenant_a',
      MONGODB_URI: 'mongodb://db.internal:27017/',
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
    });
    expect(config.postgres).toMatchObject({
      embedded: false,
      url: 'postgres://waflow:pw@db.internal:5432/waflow',
      schema: 'tenant_a',
    });
    expect(config.mongo).toMatchObject({ embedded: false, uri: 'mongodb://db.internal:27017/' });
    expect(config.temporal).toMatchObject({ embedded: false, address: 'temporal.internal:7233' });
  });

  it('keeps the data in PostgreSQL unless MongoDB is asked for', () => {
    const dir = tempDir();
    const mongoUri = 'mongodb://db.internal:27017/';
    const databaseUrl = 'postgres://waflow:pw@db.internal:5432/waflow';
    const storeOf = (env: Record<string, string>) => loadConfig({ DATA_DIR: dir, ...env }).store;
    expect(storeOf({})).toBe('postgres');
    // An existing MongoDB deployment (only MONGODB_URI set) stays on MongoDB.
    expect(storeOf({ MONGODB_URI: mongoUri })).toBe('mongo');
    expect(storeOf({ MONGODB_URI: mongoUri, DATABASE_URL: databaseUrl })).toBe('postgres');
    expect(storeOf({ WAFLOW_STORE: 'mongo' })).toBe('mongo');
    expect(storeOf({ WAFLOW_STORE: 'postgres', MONGODB_URI: mongoUri })).toBe('postgres');
    expect(() => storeOf({ WAFLOW_STORE: 'mysql' })).toThrow(/WAFLOW_STORE/);
    expect(() => storeOf({ DATABASE_SCHEMA: 'Robert; DROP TABLE' })).toThrow(/DATABASE_SCHEMA/);
  });

  it('generates a development encryption key once and keeps it', () => {
    const dir = tempDir();
    const first = loadConfig({ DATA_DIR: dir }).encryptionKey;
    expect(first).toHaveLength(32);
    expect(readFileSync(join(dir, 'encryption.key'), 'utf8')).toBe(first.toString('base64'));
    expect(loadConfig({ DATA_DIR: dir }).encryptionKey.equals(first)).toBe(true);
  });

  it('refuses to start in production without an encryption key', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', DATA_DIR: tempDir() })).toThrow(
      /ENCRYPTION_KEY is required in production/,
    );
    const key = randomBytes(32).toString('base64');
    const config = loadConfig({ ...production, ENCRYPTION_KEY: key });
    expect(config.encryptionKey.toString('base64')).toBe(key);
    expect(config.auth.cookieSecure).toBe(true);
  });

  it('refuses to start in production without a metrics token', () => {
    const key = randomBytes(32).toString('base64');
    expect(() => loadConfig({ NODE_ENV: 'production', ENCRYPTION_KEY: key })).toThrow(
      /METRICS_TOKEN is required in production/,
    );
    expect(loadConfig({ ...production, ENCRYPTION_KEY: key }).metrics.token).toBe('scrape-token');
    // Development and tests may leave it open, as Prometheus usually scrapes.
    expect(loadConfig({ DATA_DIR: tempDir() }).metrics.token).toBeNull();
  });

  it('caps API key limits at the default limits unless a higher ceiling is set', () => {
    const dir = tempDir();
    expect(loadConfig({ DATA_DIR: dir }).apiKeyMaxRate).toEqual({ perMinute: 100, perSecond: 10 });
    const raised = loadConfig({
      DATA_DIR: dir,
      API_KEY_MAX_RATE_PER_MINUTE: '6000',
      API_KEY_MAX_RATE_PER_SECOND: '100',
    });
    expect(raised.apiKeyMaxRate).toEqual({ perMinute: 6000, perSecond: 100 });
    expect(() =>
      loadConfig({
        DATA_DIR: dir,
        RATE_LIMIT_PER_MINUTE: '500',
        API_KEY_MAX_RATE_PER_MINUTE: '200',
      }),
    ).toThrow(/API_KEY_MAX_RATE_PER_MINUTE and API_KEY_MAX_RATE_PER_SECOND must be at least/);
  });

  it('trusts no proxy unless TRUST_PROXY gives a hop count or their addresses', () => {
    const dir = tempDir();
    const trusted = (value?: string) =>
      loadConfig({ DATA_DIR: dir, TRUST_PROXY: value }).http.trustProxy;
    expect(trusted()).toBe(false);
    expect(trusted('0')).toBe(false);
    expect(trusted('2')).toBe(2);
    expect(trusted('10.0.0.0/8, 127.0.0.1,::1,loopback')).toEqual([
      '10.0.0.0/8',
      '127.0.0.1',
      '::1',
      'loopback',
    ]);
    expect(() => trusted('true')).toThrow(/TRUST_PROXY: 'true' is not a hop count/);
    expect(() => trusted('10.0.0.0/8,proxy.internal')).toThrow(/'proxy.internal'/);
  });

  it('reads the webhook retry schedule, 10 s, 60 s and 5 min unless set', () => {
    expect(loadConfig({ DATA_DIR: tempDir() }).webhooks.retryDelaysMs).toEqual([
      10_000, 60_000, 300_000,
    ]);
    // Svix's schedule, about a day.
    const svix = loadConfig({
      DATA_DIR: tempDir(),
      WEBHOOK_RETRY_SCHEDULE: '5s,5m,30m,2h,5h,10h,10h',
    });
    expect(svix.webhooks.retryDelaysMs).toEqual([
      5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000,
    ]);
    const config = loadConfig({ DATA_DIR: tempDir(), WEBHOOK_RETRY_SCHEDULE: ' 1s, 2d ' });
    expect(config.webhooks.retryDelaysMs).toEqual([1_000, 172_800_000]);
  });

  it('refuses a webhook retry schedule item that is not a duration, naming it', () => {
    const bad = {
      '': "''",
      '5s,': "''",
      '5s,,5m': "''",
      '10000': "'10000'",
      '5s,0m': "'0m'",
      '5s,-5m': "'-5m'",
      '1.5h': "'1.5h'",
      '5s,5x': "'5x'",
      '1234567s': "'1234567s'",
      soon: "'soon'",
    };
    for (const [value, item] of Object.entries(bad)) {
      expect(() => loadConfig({ DATA_DIR: tempDir(), WEBHOOK_RETRY_SCHEDULE: value })).toThrow(
        `WEBHOOK_RETRY_SCHEDULE: ${item} is not a duration`,
      );
    }
  });

  it('refuses the renamed WEBHOOK_RETRY_DELAYS_MS rather than ignoring it', () => {
    expect(() => loadConfig({ DATA_DIR: tempDir(), WEBHOOK_RETRY_DELAYS_MS: '1000,5000' })).toThrow(
      /WEBHOOK_RETRY_DELAYS_MS is replaced by WEBHOOK_RETRY_SCHEDULE/,
    );
  });

  it('reads the message retry schedule, keeping the 10-minute one by default', () => {
    expect(loadConfig({ DATA_DIR: tempDir() }).send.retryDelaysMs).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 120_000, 120_000,
    ]);
    const config = loadConfig({ DATA_DIR: tempDir(), MESSAGE_RETRY_DELAYS_MS: '500, 3000,60000' });
    expect(config.send.retryDelaysMs).toEqual([500, 3_000, 60_000]);
    for (const bad of ['', '1000,,2000', '1000,-5', '1.5', 'soon']) {
      expect(() => loadConfig({ DATA_DIR: tempDir(), MESSAGE_RETRY_DELAYS_MS: bad })).toThrow(
        /MESSAGE_RETRY_DELAYS_MS/,
      );
    }
  });

  it('keeps media under DATA_DIR/media unless told to use S3, which needs its bucket and region', () => {
    const dataDir = tempDir();
    expect(loadConfig({ DATA_DIR: dataDir }).media.store).toEqual({
      kind: 'fs',
      dir: join(dataDir, 'media'),
    });
    expect(() => loadConfig({ DATA_DIR: dataDir, MEDIA_STORE: 's3' })).toThrow(
      /MEDIA_STORE=s3 needs MEDIA_S3_BUCKET and MEDIA_S3_REGION/,
    );
    const s3 = {
      DATA_DIR: dataDir,
      MEDIA_STORE: 's3',
      MEDIA_S3_BUCKET: 'b',
      MEDIA_S3_REGION: 'eu-west-1',
    };
    expect(() => loadConfig({ ...s3, MEDIA_S3_ACCESS_KEY_ID: 'AKIA' })).toThrow(
      /MEDIA_STORE=s3 needs MEDIA_S3_SECRET_ACCESS_KEY/,
    );
    expect(
      loadConfig({
        ...s3,
        MEDIA_S3_ENDPOINT: 'http://127.0.0.1:9000',
        MEDIA_S3_ACCESS_KEY_ID: 'AKIA',
        MEDIA_S3_SECRET_ACCESS_KEY: 'secret',
        MEDIA_S3_FORCE_PATH_STYLE: 'true',
      }).media.store,
    ).toEqual({
      kind: 's3',
      bucket: 'b',
      region: 'eu-west-1',
      endpoint: 'http://127.0.0.1:9000',
      credentials: { accessKeyId: 'AKIA', secretAccessKey: 'secret' },
      forcePathStyle: true,
    });
    expect(loadConfig(s3).media.store).toMatchObject({ credentials: null, endpoint: null });
  });

  it('signs media URLs with a key derived from the encryption key unless given one', () => {
    const key = randomBytes(32).toString('base64');
    const a = loadConfig({ DATA_DIR: tempDir(), ENCRYPTION_KEY: key }).media;
    expect(
      a.urlSecret.equals(loadConfig({ DATA_DIR: tempDir(), ENCRYPTION_KEY: key }).media.urlSecret),
    ).toBe(true);
    expect(a.urlTtlMs).toBe(86_400_000);
    const secret = 'x'.repeat(32);
    expect(
      loadConfig({ DATA_DIR: tempDir(), MEDIA_URL_SECRET: secret }).media.urlSecret.toString(),
    ).toBe(secret);
    expect(() => loadConfig({ DATA_DIR: tempDir(), MEDIA_URL_SECRET: 'short' })).toThrow(
      /MEDIA_URL_SECRET: must be at least 32 characters/,
    );
  });

  it('names each invalid variable', () => {
    const attempt = () =>
      loadConfig({
        PORT: 'eighty',
        ENCRYPTION_KEY: 'short',
        MONGODB_URI: 'http://x',
        DATABASE_URL: 'mysql://x',
      });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/PORT/);
    expect(attempt).toThrow(/ENCRYPTION_KEY: must be 32 bytes/);
    expect(attempt).toThrow(/MONGODB_URI: must be a mongodb:\/\/ URI/);
    expect(attempt).toThrow(/DATABASE_URL: must be a postgres:\/\/ URL/);
  });
});

describe('secrets given as files (NAME_FILE)', () => {
  /** A file holding `content` in a folder of its own. */
  const secretFile = (content: string) => {
    const path = join(tempDir(), 'secret');
    writeFileSync(path, content, { mode: 0o600 });
    return path;
  };

  it('reads each secret setting from its file, without the trailing newline', () => {
    const key = randomBytes(32).toString('base64');
    const config = loadConfig({
      NODE_ENV: 'production',
      ENCRYPTION_KEY_FILE: secretFile(`${key}\n`),
      METRICS_TOKEN_FILE: secretFile('scrape-token\r\n'),
      DATABASE_URL_FILE: secretFile('postgres://waflow:pw@db.internal:5432/waflow\n'),
      MONGODB_URI_FILE: secretFile('mongodb://db.internal:27017/'),
      MEDIA_URL_SECRET_FILE: secretFile(`${'m'.repeat(32)}\n`),
    });
    expect(config.encryptionKey.toString('base64')).toBe(key);
    expect(config.metrics.token).toBe('scrape-token');
    expect(config.postgres).toMatchObject({
      embedded: false,
      url: 'postgres://waflow:pw@db.internal:5432/waflow',
    });
    expect(config.mongo.uri).toBe('mongodb://db.internal:27017/');
    expect(config.media.urlSecret.toString()).toBe('m'.repeat(32));
  });

  it('reads the S3 credentials from files', () => {
    const config = loadConfig({
      DATA_DIR: tempDir(),
      MEDIA_STORE: 's3',
      MEDIA_S3_BUCKET: 'b',
      MEDIA_S3_REGION: 'eu-west-1',
      MEDIA_S3_ACCESS_KEY_ID_FILE: secretFile('AKIA\n'),
      MEDIA_S3_SECRET_ACCESS_KEY_FILE: secretFile('s3cret\n'),
    });
    expect(config.media.store).toMatchObject({
      credentials: { accessKeyId: 'AKIA', secretAccessKey: 's3cret' },
    });
  });

  it('validates a value read from a file as it would the variable', () => {
    expect(() =>
      loadConfig({ DATA_DIR: tempDir(), ENCRYPTION_KEY_FILE: secretFile('short\n') }),
    ).toThrow(/ENCRYPTION_KEY: must be 32 bytes/);
  });

  it('refuses a secret given both as NAME and as NAME_FILE', () => {
    for (const name of SECRET_SETTINGS) {
      expect(() =>
        loadConfig({ DATA_DIR: tempDir(), [name]: 'x', [`${name}_FILE`]: secretFile('x') }),
      ).toThrow(new ConfigError(`${name} and ${name}_FILE are both set: give one of them`));
    }
  });

  it('names the variable and the path of a file it cannot read', () => {
    const missing = join(tempDir(), 'no-such-file');
    expect(() => loadConfig({ DATA_DIR: tempDir(), METRICS_TOKEN_FILE: missing })).toThrow(
      new ConfigError(`METRICS_TOKEN_FILE: cannot read ${missing} (ENOENT)`),
    );
    const folder = tempDir();
    expect(() => loadConfig({ DATA_DIR: tempDir(), DATABASE_URL_FILE: folder })).toThrow(
      new ConfigError(`DATABASE_URL_FILE: cannot read ${folder} (EISDIR)`),
    );
  });

  it('puts DATABASE_PASSWORD into DATABASE_URL, encoded, and refuses a second password', () => {
    const password = 'p@ss/w:rd%?#';
    const config = loadConfig({
      DATA_DIR: tempDir(),
      DATABASE_URL: 'postgres://waflow@postgresql:5432/waflow',
      DATABASE_PASSWORD_FILE: secretFile(`${password}\n`),
    });
    const url = new URL(config.postgres.url);
    expect(decodeURIComponent(url.password)).toBe(password);
    expect([url.username, url.host, url.pathname]).toEqual([
      'waflow',
      'postgresql:5432',
      '/waflow',
    ]);
    expect(() =>
      loadConfig({
        DATA_DIR: tempDir(),
        DATABASE_URL: 'postgres://waflow:pw@postgresql:5432/waflow',
        DATABASE_PASSWORD: 'other',
      }),
    ).toThrow(/DATABASE_URL has a password and DATABASE_PASSWORD is set/);
    expect(() => loadConfig({ DATA_DIR: tempDir(), DATABASE_PASSWORD: 'pw' })).toThrow(
      /DATABASE_PASSWORD needs DATABASE_URL/,
    );
  });

  it('passes the values read to child processes, not the files again', () => {
    const key = randomBytes(32).toString('base64');
    const saved = { ...process.env };
    try {
      process.env.ENCRYPTION_KEY_FILE = secretFile(key);
      process.env.DATABASE_PASSWORD_FILE = secretFile('pw');
      process.env.DATABASE_URL = 'postgres://waflow@db.internal:5432/waflow';
      const parent = loadConfig({ ...process.env, DATA_DIR: tempDir() });
      const childEnv = configEnv(parent);
      expect(childEnv.ENCRYPTION_KEY_FILE).toBeUndefined();
      expect(childEnv.DATABASE_PASSWORD_FILE).toBeUndefined();
      const child = loadConfig(childEnv);
      expect(child.encryptionKey.equals(parent.encryptionKey)).toBe(true);
      expect(child.postgres.url).toBe('postgres://waflow:pw@db.internal:5432/waflow');
    } finally {
      process.env = saved;
    }
  });
});

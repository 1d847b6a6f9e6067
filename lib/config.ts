import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { parseDuration } from './duration';

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();

/** Waits after the 1st, 2nd, ... failed attempt of a message: about 10 minutes in all. */
const MESSAGE_RETRY_DELAYS_MS = [
  1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 120_000, 120_000,
];
/**
 * Waits after the 1st, 2nd, ... failed processing of a stored inbound webhook: about 3 hours in
 * all, then it is parked dead until replayed.
 */
export const INBOUND_RETRY_DELAYS_MS = [
  60_000, 120_000, 240_000, 480_000, 960_000, 1_920_000, 3_600_000, 3_600_000, 3_600_000,
];
/** Waits before the 2nd, 3rd and 4th attempt of an outbound webhook, as the reference says. */
const WEBHOOK_RETRY_SCHEDULE = '10s,60s,5m';

/** A retry schedule: comma-separated waits in ms, positive integers, at least one. */
const delaysMs = (defaults: readonly number[]) =>
  z
    .string()
    .default(defaults.join(','))
    .transform((v) => v.split(',').map((ms) => Number(ms.trim())))
    .pipe(z.array(z.number().int().positive()).min(1, 'give at least one delay'));

/** A retry schedule: comma-separated durations with a unit, `5s,5m,30m,2h`; in ms. */
const durations = (defaults: string) =>
  z
    .string()
    .default(defaults)
    .transform((v, ctx): number[] => {
      const waits: number[] = [];
      for (const item of v.split(',').map((s) => s.trim())) {
        const ms = parseDuration(item);
        if (!ms) {
          ctx.addIssue({
            code: 'custom',
            message: `'${item}' is not a duration: give a positive whole number (at most 6 digits) and a unit, s, m, h or d (e.g. 5s,5m,30m,2h)`,
          });
          return z.NEVER;
        }
        waits.push(ms);
      }
      return waits;
    });

/** Proxy names proxy-addr (Fastify's) knows, besides addresses and CIDRs. */
const PROXY_RANGES = ['loopback', 'linklocal', 'uniquelocal'];

/**
 * Which proxies' X-Forwarded-For is believed: none (unset), the nearest N hops, or those at
 * the listed addresses or networks. Believing every client would let any of them choose its
 * own address, and so escape the per-address limits.
 */
const trustProxy = z
  .string()
  .trim()
  .default('')
  .transform((v, ctx): false | number | string[] => {
    if (v === '' || v === '0') return false;
    if (/^\d+$/.test(v)) return Number(v);
    const entries = v.split(',').map((s) => s.trim());
    const address = z.union([z.ipv4(), z.ipv6(), z.cidrv4(), z.cidrv6()]);
    for (const entry of entries) {
      if (!PROXY_RANGES.includes(entry) && !address.safeParse(entry).success) {
        ctx.addIssue({
          code: 'custom',
          message: `'${entry}' is not a hop count, an address or a CIDR (e.g. 1 or 10.0.0.0/8,127.0.0.1)`,
        });
        return z.NEVER;
      }
    }
    return entries;
  });

const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // Development listens on loopback only, like the simulator and the Temporal UI.
  HOST: z.string().min(1).optional(),
  PORT: port.default(3000),
  PUBLIC_URL: z.url().optional(),
  DATA_DIR: z.string().min(1).default('.data'),
  WAFLOW_CACHE_DIR: z
    .string()
    .min(1)
    .default(join(homedir(), '.cache', 'waflow')),

  // Unset means "start the embedded server" for the dev stack; set means "use this one".
  WAFLOW_STORE: z.enum(['postgres', 'mongo']).optional(),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  // Goes into DATABASE_URL, which then carries none: one password file serves every service.
  DATABASE_PASSWORD: z.string().min(1).optional(),
  DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL identifier')
    .default('public'),
  DATABASE_POOL_SIZE: positiveInt.default(10),
  POSTGRES_PORT: port.default(5433),
  MONGODB_URI: z
    .string()
    .regex(/^mongodb(\+srv)?:\/\//, 'must be a mongodb:// URI')
    .optional(),
  MONGODB_DB: z.string().min(1).default('waflow'),
  MONGODB_PORT: port.default(27017),
  TEMPORAL_ADDRESS: z.string().min(1).optional(),
  TEMPORAL_PORT: port.default(7233),
  TEMPORAL_UI_PORT: port.default(8233),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('waflow'),
  TEMPORAL_SCHEDULES: z.stringbool().default(true),
  TEMPORAL_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).default(200),

  ENCRYPTION_KEY: z
    .string()
    .refine((v) => Buffer.from(v, 'base64').length === 32, 'must be 32 bytes, base64-encoded')
    .optional(),

  RATE_LIMIT_PER_MINUTE: positiveInt.default(100),
  RATE_LIMIT_PER_SECOND: positiveInt.default(10),
  // Unset: the default limits, which keys may then lower but not raise.
  API_KEY_MAX_RATE_PER_MINUTE: positiveInt.optional(),
  API_KEY_MAX_RATE_PER_SECOND: positiveInt.optional(),
  BODY_LIMIT_BYTES: positiveInt.default(5 * 1024 * 1024),
  WEBHOOK_BODY_LIMIT_BYTES: positiveInt.default(1024 * 1024),
  // Meta's documented maximum for its webhook payloads.
  META_WEBHOOK_BODY_LIMIT_BYTES: positiveInt.default(3 * 1024 * 1024),
  AUTH_CACHE_TTL_MS: z.coerce.number().int().min(0).default(5_000),
  SESSION_TTL_HOURS: positiveInt.default(24 * 7),
  COOKIE_SECURE: z.stringbool().optional(),
  LOGIN_MAX_FAILURES_PER_EMAIL: positiveInt.default(10),
  LOGIN_FAILURE_WINDOW_MINUTES: positiveInt.default(15),
  TRUST_PROXY: trustProxy,
  CLEANUP_INTERVAL_MINUTES: positiveInt.default(60),
  EVENT_RETENTION_DAYS: positiveInt.default(30),
  META_EVENT_RETENTION_DAYS: positiveInt.default(30),
  TEMPLATE_SYNC_INTERVAL_MINUTES: positiveInt.default(60),
  SANDBOX_MODE: z.stringbool().optional(),

  META_API_VERSION: z
    .string()
    .regex(/^v\d+\.\d+$/, 'must look like v25.0')
    .default('v25.0'),
  META_GRAPH_URL: z.url().default('https://graph.facebook.com'),
  META_SIMULATOR_PORT: port.default(3100),
  META_SIMULATOR_URL: z.url().optional(),
  META_WEBHOOK_URL: z.url().optional(),
  STRIPE_API_URL: z.url().default('https://api.stripe.com'),
  STRIPE_MOCK_PORT: port.default(12111),
  STRIPE_MOCK_URL: z.url().optional(),
  RAZORPAY_API_URL: z.url().default('https://api.razorpay.com'),
  GATEWAY_SHARED_WEBHOOK_PER_MINUTE: positiveInt.default(120),
  RAZORPAY_SIMULATOR_PORT: port.default(3200),
  RAZORPAY_SIMULATOR_URL: z.url().optional(),
  SEND_NO_ANSWER_RECHECK_SECONDS: positiveInt.default(15),
  META_MARKETING_LIMIT_RETRY_HOURS: z.coerce.number().positive().default(24),
  META_MARKETING_LIMIT_MAX_DAYS: z.coerce.number().positive().default(3),
  SEND_WAIT_MS: z.coerce.number().int().min(0).max(60_000).default(5_000),
  MESSAGE_RETRY_DELAYS_MS: delaysMs(MESSAGE_RETRY_DELAYS_MS),
  META_CONNECTIONS: positiveInt.default(512),
  SEND_LANE_LEASE_SECONDS: positiveInt.default(10),
  SEND_CLAIM_LEASE_SECONDS: positiveInt.default(30),
  SEND_POLL_MS: positiveInt.default(250),
  META_PAIR_RATE_INTERVAL_MS: z.coerce.number().int().min(0).default(6_000),
  META_PAIR_RATE_BURST: positiveInt.default(45),

  WEBHOOK_ALLOW_HTTP: z.stringbool().default(false),
  WEBHOOK_ALLOWED_NETWORKS: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.cidrv4().or(z.cidrv6()))),
  WEBHOOK_TIMEOUT_MS: positiveInt.default(5_000),
  WEBHOOK_ENDPOINT_CACHE_MS: z.coerce.number().int().min(0).default(5_000),
  WEBHOOK_CIRCUIT_FAILURES: positiveInt.default(5),
  WEBHOOK_PROBE_FIRST_SECONDS: z.coerce.number().positive().default(30),
  WEBHOOK_PROBE_MAX_SECONDS: z.coerce.number().positive().default(3_600),
  // Fractional hours are accepted (tests use seconds' worth).
  WEBHOOK_DISABLE_AFTER_HOURS: z.coerce.number().positive().default(120),
  WEBHOOK_RETRY_SCHEDULE: durations(WEBHOOK_RETRY_SCHEDULE),
  INBOUND_WEBHOOK_RETRY_DELAYS_MS: delaysMs(INBOUND_RETRY_DELAYS_MS),

  // Unset leaves /metrics open, as Prometheus usually scrapes; production requires it.
  METRICS_TOKEN: z
    .string()
    .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
    .optional(),
  METRICS_FLUSH_INTERVAL_MS: positiveInt.default(5_000),

  ACTIONS_ISOLATION: z.enum(['process', 'inline']).default('process'),
  ACTIONS_TIMEOUT_MS: z.coerce.number().int().min(10).max(60_000).default(5_000),
  ACTIONS_MEMORY_MB: z.coerce.number().int().min(8).max(1_024).default(10),
  ACTIONS_POOL_SIZE: z.coerce.number().int().min(1).max(64).default(2),
  ACTIONS_MAX_QUEUED_PER_ORG: positiveInt.default(200),
  ACTIONS_MAX_PROCESSES: z.coerce.number().int().min(1).max(256).default(8),
  ACTIONS_PROCESS_MEMORY_MB: z.coerce.number().int().min(128).default(512),
  ACTIONS_PROCESS_RECYCLE_MB: z.coerce.number().int().min(64).default(192),
  // Empty: sandbox processes run as this process's user.
  ACTIONS_SANDBOX_USER: z.string().default('nobody'),
  SEQUENCE_OPT_OUT_WORDS: z
    .string()
    .default('STOP,UNSUBSCRIBE')
    .transform((v) =>
      v
        .split(',')
        .map((w) => w.trim())
        .filter(Boolean),
    ),
  SEQUENCE_START_CONCURRENCY: positiveInt.default(16),

  MEDIA_STORE: z.enum(['fs', 's3']).default('fs'),
  // Unset: `media` under DATA_DIR.
  MEDIA_DIR: z.string().min(1).optional(),
  MEDIA_S3_BUCKET: z.string().min(1).optional(),
  MEDIA_S3_REGION: z.string().min(1).optional(),
  MEDIA_S3_ENDPOINT: z.url().optional(),
  MEDIA_S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  MEDIA_S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  MEDIA_S3_FORCE_PATH_STYLE: z.stringbool().default(false),
  // Unset: derived from ENCRYPTION_KEY.
  MEDIA_URL_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  MEDIA_URL_TTL_SECONDS: positiveInt.default(86_400),
  MEDIA_DOWNLOAD_CONCURRENCY: positiveInt.default(16),
  MEDIA_DOWNLOAD_POLL_MS: positiveInt.default(1000),
  MEDIA_DOWNLOAD_RETRY_SCHEDULE: durations('10s,1m,5m,30m,2h'),

  // Observability: the worker's /health and /metrics server, and OpenTelemetry tracing.
  WORKER_HOST: z.string().min(1).default('127.0.0.1'),
  WORKER_PORT: port.default(3001),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
});

/** Every setting's name: the README's configuration table lists each once. */
export const SETTING_NAMES: readonly string[] = Object.keys(EnvSchema.shape);

/**
 * Settings that hold a secret (or a URL that may carry one): each can also be given as
 * `NAME_FILE`, the path of a file holding it (Docker and Kubernetes secrets).
 */
export const SECRET_SETTINGS = [
  'ENCRYPTION_KEY',
  'METRICS_TOKEN',
  'DATABASE_URL',
  'DATABASE_PASSWORD',
  'MONGODB_URI',
  'MEDIA_URL_SECRET',
  'MEDIA_S3_ACCESS_KEY_ID',
  'MEDIA_S3_SECRET_ACCESS_KEY',
] as const satisfies readonly (keyof typeof EnvSchema.shape)[];

/** Every variable loadConfig reads: the settings and the secrets' `_FILE` forms. */
export const KNOWN_VARIABLES: readonly string[] = [
  ...SETTING_NAMES,
  ...SECRET_SETTINGS.map((name) => `${name}_FILE`),
];

export type Env = Record<string, string | undefined>;

export interface Config {
  env: 'development' | 'test' | 'production';
  logLevel: z.infer<typeof EnvSchema>['LOG_LEVEL'];
  http: {
    host: string;
    port: number;
    publicUrl: string;
    bodyLimit: number;
    /** The inbound webhook routes' smaller limits: WooCommerce, Stripe, Razorpay; Meta. */
    webhookBodyLimit: number;
    metaWebhookBodyLimit: number;
    /** Fastify's trustProxy: false, a hop count, or the proxies' addresses and networks. */
    trustProxy: false | number | string[];
  };
  dataDir: string;
  cacheDir: string;
  /** Which store holds Waflow's data: PostgreSQL unless MongoDB is asked for. */
  store: 'postgres' | 'mongo';
  postgres: { url: string; schema: string; embedded: boolean; port: number; poolSize: number };
  mongo: { uri: string; db: string; embedded: boolean; port: number };
  temporal: {
    address: string;
    namespace: string;
    taskQueue: string;
    /** This worker creates and updates the periodic jobs' schedules at start. */
    schedules: boolean;
    /**
     * Workflows kept in the worker's memory between tasks (each task queue's worker). The SDK's
     * default grows with the heap limit (2,000+ on a large machine, about a third of a MB each):
     * sleeping payment links and sequences would fill it. Evicted ones replay their history.
     */
    maxCachedWorkflows: number;
    embedded: boolean;
    port: number;
    uiPort: number;
  };
  encryptionKey: Buffer;
  rateLimit: { perMinute: number; perSecond: number };
  /** The highest limits an API key may be given, in every organization. */
  apiKeyMaxRate: { perMinute: number; perSecond: number };
  auth: {
    cacheTtlMs: number;
    sessionTtlMs: number;
    cookieSecure: boolean;
    /** Failed logins for one email, from any address, after which its logins wait. */
    loginFailures: { maxFailures: number; windowMs: number };
  };
  cleanupIntervalMinutes: number;
  /** Events and outbound webhook deliveries are kept this long. */
  eventRetentionDays: number;
  /** Meta's account-level webhook changes (GET /api/meta-events), unmatched ones too, are kept this long. */
  metaEventRetentionDays: number;
  /** How often every connected account's message templates are fetched again from Meta. */
  templateSyncIntervalMinutes: number;
  metrics: {
    /** The bearer token /metrics requires; null when it is open. */
    token: string | null;
    /** How often each process adds the counts it gathered to the stored counters. */
    flushIntervalMs: number;
  };
  /** Custom JavaScript actions (vm/). */
  actions: {
    /** `process`: isolates in a sandbox process of their own; `inline`: in the calling one. */
    isolation: 'process' | 'inline';
    timeoutMs: number;
    memoryMb: number;
    /** Isolates running at once, per process. */
    poolSize: number;
    /** Runs of one organization that may wait for an isolate; more are refused. */
    maxQueuedPerOrg: number;
    /** Sandbox processes (one per organization) kept at once. */
    maxProcesses: number;
    /** The operating system's memory cap of a sandbox process. */
    processMemoryMb: number;
    /** A sandbox process above this resident memory after a run is replaced. */
    processRecycleMb: number;
    /** The user sandbox processes run as (when this process is root); null: this one. */
    sandboxUser: string | null;
  };
  webhooks: {
    /** Plain http and private destinations are refused unless allowed here. */
    allowHttp: boolean;
    allowedNetworks: string[];
    timeoutMs: number;
    /** How long other processes may go on with an endpoint's old URL, secret or status. */
    endpointCacheMs: number;
    /** When an endpoint's deliveries stop being retried one by one (webhook-circuit.ts). */
    circuit: {
      /** Failed attempts in a row, in one process, that open the circuit. */
      failures: number;
      /** The first wait before probing, doubling up to probeMaxMs. */
      probeFirstMs: number;
      probeMaxMs: number;
      /** An endpoint failing this long is disabled (Svix: 5 days). */
      disableAfterMs: number;
    };
    /**
     * Waits before a delivery's 2nd, 3rd... attempt; after the last one it has failed. Each
     * delivery's workflow is given the schedule when it starts.
     */
    retryDelaysMs: number[];
  };
  inbound: {
    /**
     * Waits after the 1st, 2nd, ... failed processing of a stored webhook from Meta; after the
     * last one (delays + 1 attempts) it is parked dead.
     */
    retryDelaysMs: number[];
  };
  /** Talk to the built-in Meta and payment gateway simulators instead of the real providers. */
  sandbox: boolean;
  send: {
    /** How long `POST /api/messages/send` waits for Meta's answer before answering `queued`. */
    waitMs: number;
    /**
     * Meta's per-user marketing cap (131049): a refused message is deferred `retryMs`, again on
     * each later 131049, and fails once `maxMs` have passed since the first.
     */
    marketingLimit: { retryMs: number; maxMs: number };
    /**
     * Waits after the 1st, 2nd, ... failed attempt of a message; it fails after the last. Each
     * message's retry workflow gets the schedule when it starts.
     */
    retryDelaysMs: number[];
    /** A dispatcher holds a number's lane this long between renewals. */
    laneLeaseMs: number;
    /** A claimed message is claimable again after this long without an outcome (a dead process). */
    claimLeaseMs: number;
    /** How often dispatchers look for queued messages besides being woken up. */
    pollMs: number;
    /** Meta's pair rate: one message per interval to the same user, after a burst. */
    pairRate: { intervalMs: number; burst: number };
    /**
     * Connections a worker opens to Meta: sends in flight are at most this, so 1,000/s at
     * 250 ms a round trip needs 250.
     */
    connections: number;
  };
  sequences: {
    /** Whole inbound messages (any case) that opt the contact out and end its sequences. */
    optOutWords: string[];
    /** Subscription workflows started at once after a bulk subscribe. */
    startConcurrency: number;
  };
  meta: {
    apiVersion: string;
    /**
     * After a send whose answer was lost, how long to wait for Meta's status webhook (which
     * names the message) before sending again.
     */
    noAnswerRecheckMs: number;
    graphUrl: string;
    simulator: {
      port: number;
      url: string;
      /** Where the simulator posts its webhooks: the engine's /api/webhooks/meta. */
      webhookUrl: string;
      /** Credentials of the sandbox accounts, derived from the encryption key. */
      accessToken: string;
      appSecret: string;
      verifyToken: string;
    };
  };
  media: MediaConfig;
  /** Observability: the worker's HTTP server (/health, /metrics) and OpenTelemetry tracing. */
  observability: {
    /** Where the worker serves /health and /metrics; port 0 is any free one. */
    worker: { host: string; port: number };
    /** The OTLP/HTTP base URL spans are sent to; null: tracing is off. */
    otlpEndpoint: string | null;
    /** null: each process's own name (waflow-api, waflow-worker). */
    serviceName: string | null;
  };
  /** Where the payment gateways' APIs are: stripe-mock and the Razorpay simulator in sandbox mode. */
  payments: {
    stripeUrl: string;
    razorpayUrl: string;
    stripeMock: { port: number; url: string };
    razorpaySimulator: { port: number; url: string };
    /** Where the Razorpay simulator posts its webhooks: the engine's /api/webhooks/razorpay. */
    razorpayWebhookUrl: string;
    /**
     * Requests a minute per client address on the shared gateway webhook URLs, which try every
     * organization's secret; the per-organization URLs are not limited.
     */
    sharedWebhookPerMinute: number;
  };
}

/** Where media files are kept (media/blob-store.ts), and how Waflow's own media URLs are signed. */
export interface MediaConfig {
  store: { kind: 'fs'; dir: string } | ({ kind: 's3' } & S3MediaConfig);
  /** The key of the HMAC that signs media URLs; they are valid `urlTtlMs` after they are made. */
  urlSecret: Buffer;
  urlTtlMs: number;
  /** Inbound files: downloads a worker runs at once, and the waits before each retry. */
  download: { concurrency: number; retryDelaysMs: number[]; pollMs: number };
}

export interface S3MediaConfig {
  bucket: string;
  region: string;
  /** Unset: AWS's own endpoint for the region. */
  endpoint: string | null;
  /** Unset: the SDK's default credential chain (environment, instance role...). */
  credentials: { accessKeyId: string; secretAccessKey: string } | null;
  forcePathStyle: boolean;
}

export class ConfigError extends Error {}

export function loadConfig(givenEnv: Env = process.env): Config {
  refuseRenamed(givenEnv);
  const env = readSecretFiles(givenEnv);
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  const e = parsed.data;
  const dataDir = resolve(e.DATA_DIR);
  const production = e.NODE_ENV === 'production';
  const encryptionKey = resolveEncryptionKey(e.ENCRYPTION_KEY, production, dataDir);
  if (production && e.ACTIONS_ISOLATION === 'inline') {
    throw new ConfigError(
      'ACTIONS_ISOLATION=inline is refused in production: one action could crash the whole ' +
        'process with every request in it; use process',
    );
  }
  const derive = (label: string) =>
    createHmac('sha256', encryptionKey).update(`waflow-sandbox:${label}`).digest('base64url');
  return {
    env: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    http: {
      host: e.HOST ?? (production ? '0.0.0.0' : '127.0.0.1'),
      port: e.PORT,
      publicUrl: e.PUBLIC_URL ?? `http://localhost:${e.PORT}`,
      bodyLimit: e.BODY_LIMIT_BYTES,
      webhookBodyLimit: e.WEBHOOK_BODY_LIMIT_BYTES,
      metaWebhookBodyLimit: e.META_WEBHOOK_BODY_LIMIT_BYTES,
      trustProxy: e.TRUST_PROXY,
    },
    dataDir,
    cacheDir: resolve(e.WAFLOW_CACHE_DIR),
    store: e.WAFLOW_STORE ?? (e.MONGODB_URI && !e.DATABASE_URL ? 'mongo' : 'postgres'),
    postgres: {
      url:
        databaseUrl(e) ??
        `postgres://waflow:${derive('postgres-password')}@127.0.0.1:${e.POSTGRES_PORT}/waflow`,
      schema: e.DATABASE_SCHEMA,
      embedded: e.DATABASE_URL === undefined,
      port: e.POSTGRES_PORT,
      poolSize: e.DATABASE_POOL_SIZE,
    },
    mongo: {
      uri: e.MONGODB_URI ?? `mongodb://127.0.0.1:${e.MONGODB_PORT}/`,
      db: e.MONGODB_DB,
      embedded: e.MONGODB_URI === undefined,
      port: e.MONGODB_PORT,
    },
    temporal: {
      address: e.TEMPORAL_ADDRESS ?? `127.0.0.1:${e.TEMPORAL_PORT}`,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      schedules: e.TEMPORAL_SCHEDULES,
      maxCachedWorkflows: e.TEMPORAL_MAX_CACHED_WORKFLOWS,
      embedded: e.TEMPORAL_ADDRESS === undefined,
      port: e.TEMPORAL_PORT,
      uiPort: e.TEMPORAL_UI_PORT,
    },
    encryptionKey,
    rateLimit: { perMinute: e.RATE_LIMIT_PER_MINUTE, perSecond: e.RATE_LIMIT_PER_SECOND },
    apiKeyMaxRate: apiKeyMaxRate(e),
    auth: {
      cacheTtlMs: e.AUTH_CACHE_TTL_MS,
      sessionTtlMs: e.SESSION_TTL_HOURS * 3_600_000,
      cookieSecure: e.COOKIE_SECURE ?? production,
      loginFailures: {
        maxFailures: e.LOGIN_MAX_FAILURES_PER_EMAIL,
        windowMs: e.LOGIN_FAILURE_WINDOW_MINUTES * 60_000,
      },
    },
    cleanupIntervalMinutes: e.CLEANUP_INTERVAL_MINUTES,
    eventRetentionDays: e.EVENT_RETENTION_DAYS,
    metaEventRetentionDays: e.META_EVENT_RETENTION_DAYS,
    templateSyncIntervalMinutes: e.TEMPLATE_SYNC_INTERVAL_MINUTES,
    metrics: {
      token: requireInProduction(e.METRICS_TOKEN, production, METRICS_TOKEN_NEEDED),
      flushIntervalMs: e.METRICS_FLUSH_INTERVAL_MS,
    },
    actions: {
      isolation: e.ACTIONS_ISOLATION,
      timeoutMs: e.ACTIONS_TIMEOUT_MS,
      memoryMb: e.ACTIONS_MEMORY_MB,
      poolSize: e.ACTIONS_POOL_SIZE,
      maxQueuedPerOrg: e.ACTIONS_MAX_QUEUED_PER_ORG,
      maxProcesses: e.ACTIONS_MAX_PROCESSES,
      processMemoryMb: e.ACTIONS_PROCESS_MEMORY_MB,
      processRecycleMb: e.ACTIONS_PROCESS_RECYCLE_MB,
      sandboxUser: e.ACTIONS_SANDBOX_USER.trim() || null,
    },
    webhooks: {
      allowHttp: e.WEBHOOK_ALLOW_HTTP,
      allowedNetworks: e.WEBHOOK_ALLOWED_NETWORKS,
      timeoutMs: e.WEBHOOK_TIMEOUT_MS,
      endpointCacheMs: e.WEBHOOK_ENDPOINT_CACHE_MS,
      circuit: {
        failures: e.WEBHOOK_CIRCUIT_FAILURES,
        probeFirstMs: Math.round(e.WEBHOOK_PROBE_FIRST_SECONDS * 1000),
        probeMaxMs: Math.round(
          Math.max(e.WEBHOOK_PROBE_MAX_SECONDS, e.WEBHOOK_PROBE_FIRST_SECONDS) * 1000,
        ),
        disableAfterMs: Math.round(e.WEBHOOK_DISABLE_AFTER_HOURS * 3_600_000),
      },
      retryDelaysMs: e.WEBHOOK_RETRY_SCHEDULE,
    },
    inbound: { retryDelaysMs: e.INBOUND_WEBHOOK_RETRY_DELAYS_MS },
    sandbox: e.SANDBOX_MODE ?? !production,
    send: {
      waitMs: e.SEND_WAIT_MS,
      marketingLimit: {
        retryMs: Math.round(e.META_MARKETING_LIMIT_RETRY_HOURS * 3_600_000),
        maxMs: Math.round(e.META_MARKETING_LIMIT_MAX_DAYS * 86_400_000),
      },
      retryDelaysMs: e.MESSAGE_RETRY_DELAYS_MS,
      laneLeaseMs: e.SEND_LANE_LEASE_SECONDS * 1000,
      claimLeaseMs: e.SEND_CLAIM_LEASE_SECONDS * 1000,
      pollMs: e.SEND_POLL_MS,
      pairRate: { intervalMs: e.META_PAIR_RATE_INTERVAL_MS, burst: e.META_PAIR_RATE_BURST },
      connections: e.META_CONNECTIONS,
    },
    sequences: {
      optOutWords: e.SEQUENCE_OPT_OUT_WORDS,
      startConcurrency: e.SEQUENCE_START_CONCURRENCY,
    },
    meta: {
      apiVersion: e.META_API_VERSION,
      noAnswerRecheckMs: e.SEND_NO_ANSWER_RECHECK_SECONDS * 1000,
      graphUrl: e.META_GRAPH_URL.replace(/\/$/, ''),
      simulator: {
        port: e.META_SIMULATOR_PORT,
        url: (e.META_SIMULATOR_URL ?? `http://127.0.0.1:${e.META_SIMULATOR_PORT}`).replace(
          /\/$/,
          '',
        ),
        webhookUrl: e.META_WEBHOOK_URL ?? `http://127.0.0.1:${e.PORT}/api/webhooks/meta`,
        accessToken: `SANDBOX${derive('access-token')}`,
        appSecret: derive('app-secret'),
        verifyToken: derive('verify-token'),
      },
    },
    media: mediaConfig(e, dataDir, derive),
    observability: {
      worker: { host: e.WORKER_HOST, port: e.WORKER_PORT },
      otlpEndpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT?.replace(/\/$/, '') ?? null,
      serviceName: e.OTEL_SERVICE_NAME ?? null,
    },
    payments: paymentsConfig(e),
  };
}

function mediaConfig(
  e: z.infer<typeof EnvSchema>,
  dataDir: string,
  derive: (label: string) => string,
): MediaConfig {
  const urlSecret = Buffer.from(e.MEDIA_URL_SECRET ?? derive('media-url'));
  const urlTtlMs = e.MEDIA_URL_TTL_SECONDS * 1000;
  const download = {
    concurrency: e.MEDIA_DOWNLOAD_CONCURRENCY,
    retryDelaysMs: e.MEDIA_DOWNLOAD_RETRY_SCHEDULE,
    pollMs: e.MEDIA_DOWNLOAD_POLL_MS,
  };
  if (e.MEDIA_STORE === 'fs') {
    return {
      store: { kind: 'fs', dir: resolve(e.MEDIA_DIR ?? join(dataDir, 'media')) },
      urlSecret,
      urlTtlMs,
      download,
    };
  }
  const missing: string[] = (['MEDIA_S3_BUCKET', 'MEDIA_S3_REGION'] as const).filter(
    (name) => !e[name],
  );
  if (!e.MEDIA_S3_ACCESS_KEY_ID !== !e.MEDIA_S3_SECRET_ACCESS_KEY) {
    missing.push(
      e.MEDIA_S3_ACCESS_KEY_ID ? 'MEDIA_S3_SECRET_ACCESS_KEY' : 'MEDIA_S3_ACCESS_KEY_ID',
    );
  }
  if (missing.length) {
    throw new ConfigError(
      `MEDIA_STORE=s3 needs ${missing.join(' and ')} (the access key id and secret go together; ` +
        'without both, the SDK finds credentials in its usual places)',
    );
  }
  return {
    store: {
      kind: 's3',
      bucket: e.MEDIA_S3_BUCKET!,
      region: e.MEDIA_S3_REGION!,
      endpoint: e.MEDIA_S3_ENDPOINT ?? null,
      credentials:
        e.MEDIA_S3_ACCESS_KEY_ID && e.MEDIA_S3_SECRET_ACCESS_KEY
          ? { accessKeyId: e.MEDIA_S3_ACCESS_KEY_ID, secretAccessKey: e.MEDIA_S3_SECRET_ACCESS_KEY }
          : null,
      forcePathStyle: e.MEDIA_S3_FORCE_PATH_STYLE,
    },
    urlSecret,
    urlTtlMs,
    download,
  };
}

function paymentsConfig(e: z.infer<typeof EnvSchema>): Config['payments'] {
  const sandbox = e.SANDBOX_MODE ?? e.NODE_ENV !== 'production';
  const trim = (u: string) => u.replace(/\/$/, '');
  const stripeMock = trim(e.STRIPE_MOCK_URL ?? `http://127.0.0.1:${e.STRIPE_MOCK_PORT}`);
  const razorpaySim = trim(
    e.RAZORPAY_SIMULATOR_URL ?? `http://127.0.0.1:${e.RAZORPAY_SIMULATOR_PORT}`,
  );
  return {
    stripeUrl: sandbox ? stripeMock : trim(e.STRIPE_API_URL),
    razorpayUrl: sandbox ? razorpaySim : trim(e.RAZORPAY_API_URL),
    stripeMock: { port: e.STRIPE_MOCK_PORT, url: stripeMock },
    razorpaySimulator: { port: e.RAZORPAY_SIMULATOR_PORT, url: razorpaySim },
    razorpayWebhookUrl: `${trim(e.PUBLIC_URL ?? `http://127.0.0.1:${e.PORT}`)}/api/webhooks/razorpay`,
    sharedWebhookPerMinute: e.GATEWAY_SHARED_WEBHOOK_PER_MINUTE,
  };
}

/** The variables a child process needs to reach the same servers with the same key. */
export function configEnv(config: Config): Env {
  const env: Env = {
    ...process.env,
    NODE_ENV: config.env,
    DATA_DIR: config.dataDir,
    WAFLOW_STORE: config.store,
    DATABASE_URL: config.postgres.url,
    DATABASE_SCHEMA: config.postgres.schema,
    MONGODB_URI: config.mongo.uri,
    MONGODB_DB: config.mongo.db,
    TEMPORAL_ADDRESS: config.temporal.address,
    TEMPORAL_NAMESPACE: config.temporal.namespace,
    TEMPORAL_TASK_QUEUE: config.temporal.taskQueue,
    TEMPORAL_MAX_CACHED_WORKFLOWS: String(config.temporal.maxCachedWorkflows),
    ENCRYPTION_KEY: config.encryptionKey.toString('base64'),
    SANDBOX_MODE: String(config.sandbox),
    META_SIMULATOR_URL: config.meta.simulator.url,
    META_WEBHOOK_URL: config.meta.simulator.webhookUrl,
    META_GRAPH_URL: config.meta.graphUrl,
    SEND_NO_ANSWER_RECHECK_SECONDS: String(config.meta.noAnswerRecheckMs / 1000),
    SEND_WAIT_MS: String(config.send.waitMs),
    META_MARKETING_LIMIT_RETRY_HOURS: String(config.send.marketingLimit.retryMs / 3_600_000),
    META_MARKETING_LIMIT_MAX_DAYS: String(config.send.marketingLimit.maxMs / 86_400_000),
    MESSAGE_RETRY_DELAYS_MS: config.send.retryDelaysMs.join(','),
    SEND_LANE_LEASE_SECONDS: String(config.send.laneLeaseMs / 1000),
    SEND_CLAIM_LEASE_SECONDS: String(config.send.claimLeaseMs / 1000),
    SEND_POLL_MS: String(config.send.pollMs),
    META_PAIR_RATE_INTERVAL_MS: String(config.send.pairRate.intervalMs),
    META_PAIR_RATE_BURST: String(config.send.pairRate.burst),
    META_CONNECTIONS: String(config.send.connections),
    STRIPE_MOCK_URL: config.payments.stripeMock.url,
    RAZORPAY_SIMULATOR_URL: config.payments.razorpaySimulator.url,
    ...mediaEnv(config.media),
  };
  // The values are passed as read; the password is in DATABASE_URL.
  for (const name of SECRET_SETTINGS) if (env[name] !== undefined) delete env[`${name}_FILE`];
  delete env.DATABASE_PASSWORD;
  delete env.DATABASE_PASSWORD_FILE;
  return env;
}

/** The media store's settings as variables (a child process stores where its parent does). */
function mediaEnv(media: MediaConfig): Env {
  const s = media.store;
  const common = {
    MEDIA_STORE: s.kind,
    MEDIA_URL_SECRET: media.urlSecret.toString(),
    MEDIA_URL_TTL_SECONDS: String(media.urlTtlMs / 1000),
    MEDIA_DOWNLOAD_CONCURRENCY: String(media.download.concurrency),
    MEDIA_DOWNLOAD_POLL_MS: String(media.download.pollMs),
    MEDIA_DOWNLOAD_RETRY_SCHEDULE: media.download.retryDelaysMs
      .map((ms) => `${ms / 1000}s`)
      .join(','),
  };
  if (s.kind === 'fs') return { ...common, MEDIA_DIR: s.dir };
  return {
    ...common,
    MEDIA_S3_BUCKET: s.bucket,
    MEDIA_S3_REGION: s.region,
    MEDIA_S3_ENDPOINT: s.endpoint ?? undefined,
    MEDIA_S3_ACCESS_KEY_ID: s.credentials?.accessKeyId,
    MEDIA_S3_SECRET_ACCESS_KEY: s.credentials?.secretAccessKey,
    MEDIA_S3_FORCE_PATH_STYLE: String(s.forcePathStyle),
  };
}

/**
 * Settings that were renamed: still set, they would be ignored without a word, and the
 * deployment would silently run on the default.
 */
const RENAMED: Record<string, string> = {
  WEBHOOK_RETRY_DELAYS_MS:
    'WEBHOOK_RETRY_DELAYS_MS is replaced by WEBHOOK_RETRY_SCHEDULE, durations with a unit: ' +
    '10000,60000,300000 is 10s,60s,5m',
};

/**
 * The secrets given as files (`NAME_FILE=/run/secrets/name`) read into their settings, the
 * file's trailing newline dropped (`echo` and editors add one).
 */
function readSecretFiles(env: Env): Env {
  const resolved: Env = { ...env };
  for (const name of SECRET_SETTINGS) {
    const path = env[`${name}_FILE`];
    if (path === undefined) continue;
    if (env[name] !== undefined) {
      throw new ConfigError(`${name} and ${name}_FILE are both set: give one of them`);
    }
    try {
      resolved[name] = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      throw new ConfigError(`${name}_FILE: cannot read ${path} (${reason})`);
    }
  }
  return resolved;
}

/** DATABASE_URL with DATABASE_PASSWORD put in; null when unset (the embedded server). */
function databaseUrl(e: z.infer<typeof EnvSchema>): string | null {
  if (e.DATABASE_PASSWORD === undefined) return e.DATABASE_URL ?? null;
  if (e.DATABASE_URL === undefined) {
    throw new ConfigError('DATABASE_PASSWORD needs DATABASE_URL, the server it is the password of');
  }
  const url = new URL(e.DATABASE_URL);
  if (url.password) {
    throw new ConfigError(
      'DATABASE_URL has a password and DATABASE_PASSWORD is set: give the password once',
    );
  }
  url.password = encodeURIComponent(e.DATABASE_PASSWORD);
  return url.toString();
}

function refuseRenamed(env: Env) {
  const found = Object.keys(RENAMED).filter((name) => env[name] !== undefined);
  if (found.length > 0) throw new ConfigError(found.map((name) => RENAMED[name]).join('; '));
}

/** At least the default limits, which every key without its own has. */
function apiKeyMaxRate(e: z.infer<typeof EnvSchema>): Config['apiKeyMaxRate'] {
  const perMinute = e.API_KEY_MAX_RATE_PER_MINUTE ?? e.RATE_LIMIT_PER_MINUTE;
  const perSecond = e.API_KEY_MAX_RATE_PER_SECOND ?? e.RATE_LIMIT_PER_SECOND;
  if (perMinute < e.RATE_LIMIT_PER_MINUTE || perSecond < e.RATE_LIMIT_PER_SECOND) {
    throw new ConfigError(
      'API_KEY_MAX_RATE_PER_MINUTE and API_KEY_MAX_RATE_PER_SECOND must be at least ' +
        'RATE_LIMIT_PER_MINUTE and RATE_LIMIT_PER_SECOND, the limits of keys without their own',
    );
  }
  return { perMinute, perSecond };
}

/** /metrics names every organization's ids and volumes. */
const METRICS_TOKEN_NEEDED =
  'METRICS_TOKEN is required in production: /metrics lists every organization; ' +
  'set a long random token (`openssl rand -hex 32`) and give it to Prometheus';

function requireInProduction(value: string | undefined, production: boolean, why: string) {
  if (value === undefined && production) throw new ConfigError(why);
  return value ?? null;
}

function resolveEncryptionKey(value: string | undefined, production: boolean, dataDir: string) {
  if (value) return Buffer.from(value, 'base64');
  if (production) {
    throw new ConfigError(
      'ENCRYPTION_KEY is required in production (32 random bytes, base64: `openssl rand -base64 32`)',
    );
  }
  // Development keeps one generated key so encrypted secrets survive restarts.
  const file = join(dataDir, 'encryption.key');
  const read = () => Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  if (existsSync(file)) return read();
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32);
  try {
    writeFileSync(file, key.toString('base64'), { mode: 0o600, flag: 'wx' });
    return key;
  } catch (err) {
    // Another process created it first: use theirs.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return read();
    throw err;
  }
}

import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import type pg from 'pg';
import { configEnv } from '../lib/config';
import { freePort } from '../scripts/infra';
import { provisionOrganization } from '../scripts/provision';
import { openStore } from '../store';
import { accountSettings } from '../store/accounts';
import { sequenceWorkflowId } from '../workflows/contracts/sequence';
import { benchEntry, type SimRequest } from './servers';
import {
  CpuMeter,
  fixed,
  forkServer,
  grouped,
  launchWorker,
  loopbackUrl,
  positiveInt,
  readCpu,
  rssBytes,
  sqlPool,
  startInfrastructure,
  sum,
  tail,
  UsageError,
  type Resources,
} from './support';

const USAGE = `Usage: node dist/bench/sequences.js [--subscribers <n>] [--timeout <s>]

Subscribes --subscribers contacts (default 10,000, at most 10,000: one bulk call) to a 5-step
drip sequence (a template a day, the first a day after subscribing) with one
POST /api/sequences/:id/subscribers, every server in its own process (PostgreSQL, Temporal,
the API, the worker, the Meta simulator). Reports how long the POST took, the time until every
subscription's workflow is running (the API records them, answers, and starts the workflows
in the background), the worker's RSS with them all asleep, and the cost per subscription: CPU
ms by process and history events. --timeout (default 900) bounds the wait for all to run.`;

const MAX_SUBSCRIBERS = 10_000;
const PROCESSES = ['api', 'worker', 'temporal', 'postgres', 'simulator', 'bench'];
const HISTORY_SAMPLE = 50;
/** Let the worker settle (its sticky caches, the GC) before reading its RSS. */
const SETTLE_MS = 10_000;
const MB = 1024 * 1024;

function options(argv: string[]) {
  let values;
  try {
    values = parseArgs({
      args: argv,
      options: {
        subscribers: { type: 'string', default: String(MAX_SUBSCRIBERS) },
        timeout: { type: 'string', default: '900' },
      },
    }).values;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const subscribers = positiveInt(values.subscribers, '--subscribers');
  if (subscribers > MAX_SUBSCRIBERS) {
    throw new UsageError(`--subscribers must be at most ${grouped(MAX_SUBSCRIBERS)}`);
  }
  return { subscribers, timeoutMs: positiveInt(values.timeout, '--timeout') * 1000 };
}

export async function call<T>(
  url: string,
  key: string,
  method: string,
  path: string,
  body?: unknown,
) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: {
      'x-api-key': key,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(120_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
  return (JSON.parse(text) as { data: T }).data;
}

const template = {
  type: 'template',
  template: {
    name: 'order_confirmation',
    language: 'en',
    components: [
      {
        type: 'body',
        parameters: [
          { type: 'text', text: '{{name | there}}' },
          { type: 'text', text: '{{custom_fields.order | ORD-1}}' },
        ],
      },
    ],
  },
};

/** `count` opted-in contacts of the organization, written by the database in one statement. */
export async function seedSubscribers(sql: pg.Pool, orgId: string, count: number) {
  const { rows } = await sql.query<{ id: string }>(
    `INSERT INTO contacts (id, org_id, phone_number, name, email, tags, stage, custom_fields,
                           opted_in, last_inbound_at, source, created_at, updated_at)
     SELECT md5('bench-sequence:' || n)::uuid::text, $1, '+1667' || lpad(n::text, 7, '0'),
            'Customer ' || n, NULL, ARRAY['bench'], NULL,
            jsonb_build_object('order', 'ORD-' || n), true, NULL, 'bulk', now(), now()
       FROM generate_series(1, $2::int) AS n
     RETURNING id`,
    [orgId, count],
  );
  return rows;
}

/** A 5-step drip sequence, a template a day. */
export function dripSequence(apiUrl: string, key: string) {
  return call<{ id: string }>(apiUrl, key, 'POST', '/api/sequences', {
    name: 'Bench drip',
    steps: Array.from({ length: 5 }, () => ({ delay: '1d', type: 'anytime', message: template })),
  });
}

/** Subscribes the contacts in one call; the API starts their workflows in the background. */
export function subscribe(
  apiUrl: string,
  key: string,
  sequenceId: string,
  contacts: { id: string }[],
) {
  return call<{ subscribed: number }>(
    apiUrl,
    key,
    'POST',
    `/api/sequences/${sequenceId}/subscribers`,
    {
      contact_ids: contacts.map((c) => c.id),
    },
  );
}

/**
 * Waits until `subscribed` subscriptions of the sequence run, or `timeoutMs` after `posted`:
 * how many run, and when all did after `posted` (NaN if not all).
 */
export async function untilRunning(
  sql: pg.Pool,
  sequenceId: string,
  subscribed: number,
  posted: number,
  timeoutMs: number,
) {
  for (;;) {
    const { rows: r } = await sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM sequence_subscriptions
       WHERE sequence_id = $1 AND state = 'active'`,
      [sequenceId],
    );
    const running = r[0]!.n;
    if (running >= subscribed) return { running, allMs: Date.now() - posted };
    if (Date.now() - posted > timeoutMs) return { running, allMs: NaN };
    await sleep(250);
  }
}

async function main(argv: string[], resources: Resources): Promise<number> {
  const o = options(argv);
  const simUrl = loopbackUrl(await freePort());
  const { env, config, tmp, servers } = await startInfrastructure(resources, {
    temporal: true,
    store: 'postgres',
    env: { SANDBOX_MODE: 'true', META_SIMULATOR_URL: simUrl, LOG_LEVEL: 'warn' },
  });
  const { accessToken, appSecret } = config.meta.simulator;
  const sim = await forkServer<{ port: number }>(
    resources,
    'Meta simulator',
    __filename,
    ['serve', 'simulator'],
    { port: Number(new URL(simUrl).port), accessToken, appSecret } satisfies SimRequest,
  );
  const sql = sqlPool(resources, config);
  const database = await openStore(config);
  resources.add(() => database.close());
  const p = await provisionOrganization(
    database.store,
    { name: 'bench' },
    accountSettings(config).sandbox,
  );
  const orgId = p.organization.id;
  const { key } = await database.store.apiKeys.create(orgId, {
    name: 'bench',
    rateLimit: { per_minute: 100_000_000, per_second: 10_000_000 },
  });
  const worker = launchWorker(resources, { ...configEnv(config), LOG_LEVEL: env.LOG_LEVEL }, tmp);
  const api = await forkServer<{ port: number }>(resources, 'API', __filename, ['serve', 'api'], {
    env,
  });
  const apiUrl = loopbackUrl(api.port);
  const connection = await Connection.connect({ address: config.temporal.address });
  resources.add(() => connection.close());
  const temporal = new Client({ connection, namespace: config.temporal.namespace });
  const meter = new CpuMeter({
    ...servers,
    worker: worker.pid,
    api: api.pid,
    simulator: sim.pid,
    bench: process.pid,
  });

  await call(apiUrl, key, 'POST', '/api/templates/sync', {});
  const rows = await seedSubscribers(sql, orgId, o.subscribers);
  const seq = await dripSequence(apiUrl, key);
  await sleep(2_000);
  const rssBefore = rssBytes(worker.pid) ?? NaN;
  const temporalPid = typeof servers.temporal === 'number' ? servers.temporal : undefined;
  const temporalBefore = temporalPid ? (rssBytes(temporalPid) ?? NaN) : NaN;

  const before = readCpu(meter);
  const posted = Date.now();
  const result = await subscribe(apiUrl, key, seq.id, rows);
  const answeredMs = Date.now() - posted;
  const { running, allMs } = await untilRunning(
    sql,
    seq.id,
    result.subscribed,
    posted,
    o.timeoutMs,
  );
  const cpu = CpuMeter.diff(before, readCpu(meter));
  await sleep(SETTLE_MS);
  const rssAfter = rssBytes(worker.pid) ?? NaN;
  const temporalAfter = temporalPid ? (rssBytes(temporalPid) ?? NaN) : NaN;

  const sample = rows.slice(0, HISTORY_SAMPLE);
  const lengths = await Promise.all(
    sample.map(async (r) => {
      const h = await temporal.workflow.getHandle(sequenceWorkflowId(seq.id, r.id)).fetchHistory();
      return h.events?.length ?? NaN;
    }),
  );

  const n = Math.max(1, result.subscribed);
  const per = Object.fromEntries(PROCESSES.map((p) => [p, ((cpu[p] ?? 0) * 1000) / n]));
  const own = sum(PROCESSES.map((p) => cpu[p] ?? 0));
  console.log(
    `${grouped(o.subscribers)} contacts subscribed in one call to a 5-step sequence (first ` +
      `step a day later), on ${availableParallelism()} cores, start concurrency ` +
      `${config.sequences.startConcurrency}\n`,
  );
  console.log(
    `  POST answered            ${grouped(answeredMs)} ms (${result.subscribed} recorded)`,
  );
  console.log(
    `  all running              ${Number.isFinite(allMs) ? `${fixed(allMs / 1000, 1)} s` : `NOT within the timeout (${running} running)`}` +
      ` (${fixed((result.subscribed / allMs) * 1000, 1)} starts/s)`,
  );
  console.log(
    `  worker RSS               ${fixed(rssBefore / MB)} MB before, ${fixed(rssAfter / MB)} MB ` +
      `with ${grouped(running)} sleeping (${fixed((rssAfter - rssBefore) / Math.max(1, running) / 1024, 1)} kB each)`,
  );
  if (temporalPid) {
    console.log(
      `  Temporal RSS             ${fixed(temporalBefore / MB)} MB before, ${fixed(temporalAfter / MB)} MB after`,
    );
  }
  console.log(
    `  history events           ${fixed(sum(lengths) / lengths.length, 1)} per sleeping subscription ` +
      `(mean of ${lengths.length})`,
  );
  console.log(`\n  CPU ms per subscription, POST to all running:`);
  console.log(`    ${PROCESSES.map((p) => `${p} ${fixed(per[p]!, 2)}`).join(', ')}`);
  console.log(
    `    total ${fixed(sum(Object.values(per)), 2)}; the machine ${fixed(((cpu.machine! - own) * 1000) / n, 2)} more ` +
      `(other processes); busy ${fixed(((own * 1000) / (allMs * availableParallelism())) * 100)}% of the cores`,
  );
  console.log(`\nCommand: ${['node dist/bench/sequences.js', ...argv].join(' ')}`);
  if (!Number.isFinite(allMs)) {
    console.log(`\nWorker log (last lines):\n${tail(worker.log)}`);
    return 1;
  }
  return 0;
}

if (require.main === module) benchEntry(USAGE, main);

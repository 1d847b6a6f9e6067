import { createHmac, randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import Fastify, { type FastifyInstance } from 'fastify';
import { buildApp } from '../api/app';
import { mapLimit } from '../lib/concurrency';
import { loadConfig, type Env } from '../lib/config';
import { randomToken, safeEqual } from '../lib/crypto';
import { inboundProcessor } from '../inbound/processor';
import { Inbox, INBOX_DEFAULTS } from '../inbound/inbox';
import { phoneNumberIds, type MetaWebhook } from '../meta/webhook-payload';
import { signBody } from '../sim/meta';
import { inboundPayload } from '../sim/meta/inbound';
import { newWamid } from '../sim/meta/ids';
import type { PhoneNumber } from '../sim/meta/state';
import { statusPayload } from '../sim/meta/statuses';
import type { MessageStatus } from '../sim/meta/types';
import { openStore, type Store } from '../store';
import {
  CpuMeter,
  forkServer,
  listenOnLoopback,
  loopbackUrl,
  parseFlags,
  positiveInt,
  row,
  runMain,
  serveChild,
  startInfrastructure,
  storeKind,
  summarize,
  type Figures,
  type Resources,
  UsageError,
} from './support';

const USAGE = `Usage: node dist/bench/inbound.js [--duration <s>] [--connections <n>] [--rounds <n>]
       [--messages <n>] [--backlog <n>] [--inbound-every <n>]
       [--store postgres|mongo]

Posts signed Meta webhooks to POST /api/webhooks/meta: mostly statuses (sent, delivered, read
for --messages stored messages), and every --inbound-every'th one a customer's text message.
Measures how fast they are acknowledged (each once processed: statuses applied to their
messages, messages stored); then, with the API stopped, how fast the inbox alone processes the
webhooks of --backlog other messages accepted at once. Baseline: a bare Fastify route that only
checks the signature. The store is PostgreSQL (embedded
unless DATABASE_URL is set) or, with --store mongo, FerretDB (unless MONGODB_URI is set; give
it far fewer --messages and --backlog).`;

const ROUTE = '/api/webhooks/meta';
const WARMUP_SECONDS = 3;
/** Meta's advice: webhook capacity of 3× the outbound rate; this is 3× 1,000 messages/s. */
const TARGET_PER_SECOND = 3_000;
/** The customers who write in, one inbound message per webhook. */
const CUSTOMERS = 1_000;
const EXPECTED_ACK = JSON.stringify({ data: { received: true }, status: 'success' });

type Mode = 'bare' | 'api';

interface Webhook {
  body: string;
  signature: string;
}

interface BareRequest {
  appSecret: string;
}

/** Only what the real route does before storing: parse, find the numbers, check the HMAC. */
function bareApp({ appSecret }: BareRequest): FastifyInstance {
  const app = Fastify();
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) =>
    done(null, body),
  );
  app.post(ROUTE, async (request, reply) => {
    const raw = request.body as Buffer;
    const payload = JSON.parse(raw.toString('utf8')) as MetaWebhook;
    const header = request.headers['x-hub-signature-256'];
    const expected = `sha256=${createHmac('sha256', appSecret).update(raw).digest('hex')}`;
    const ids = phoneNumberIds(payload);
    if (typeof header !== 'string' || !ids.length || !safeEqual(expected, header)) {
      return reply.code(401).send({ message: 'Invalid webhook signature', status: 'error' });
    }
    return { data: { received: true }, status: 'success' };
  });
  return app;
}

/** An account with a known app secret, which Meta's webhooks below are for. */
async function provision(store: Store) {
  const org = await store.organizations.create('bench');
  const appSecret = randomToken();
  const number: PhoneNumber = {
    id: '100000000000001',
    wabaId: '200000000000001',
    displayPhoneNumber: '15550000001',
  };
  await store.accounts.create(org._id, {
    name: 'bench',
    phoneNumberId: number.id,
    wabaId: number.wabaId,
    accessToken: randomToken(),
    appSecret,
    verifyToken: randomToken(),
    displayPhoneNumber: `+${number.displayPhoneNumber}`,
  });
  return { orgId: org._id, appSecret, number };
}

/**
 * `count` new sent messages, and their signed status webhooks with a customer's message every
 * `inboundEvery`th.
 */
async function webhooks(
  store: Store,
  { orgId, appSecret, number }: Awaited<ReturnType<typeof provision>>,
  count: number,
  inboundEvery: number,
) {
  const messages = await mapLimit(
    Array.from({ length: count }, (_, i) => i),
    8,
    async (i) => {
      const waId = `1415555${String(i % 10_000).padStart(4, '0')}`;
      const wamid = newWamid(waId);
      const id = randomUUID();
      // Inserted as the send activity leaves them (wamid known, status sent) in one write:
      // setWamid after each insert scans the collection on FerretDB, making set-up quadratic.
      await store.messages.insert({
        _id: id,
        org_id: orgId,
        account_id: 'bench',
        contact_id: 'bench',
        direction: 'outbound',
        phone_number: `+${waId}`,
        user_id: null,
        type: 'template',
        content: { name: 'order_confirmation', language: { code: 'en' } },
        origin: 'api',
        origin_id: null,
        request_hash: null,
        wamid,
        status: 'sent',
      });
      return { id, wamid, waId };
    },
  );
  // Every message's sent, then every delivered, then every read: the order Meta reports them.
  const statuses: MessageStatus[] = ['sent', 'delivered', 'read'];
  const statusBodies = statuses.flatMap((status) =>
    messages.map((m) =>
      JSON.stringify(
        statusPayload(
          {
            wamid: m.wamid,
            number,
            waId: m.waId,
            userId: null,
            category: 'utility',
            bizOpaqueCallbackData: m.id,
            outsideWindow: false,
          },
          status,
          Date.now(),
        ),
      ),
    ),
  );
  // Customers' messages among them, each a new one (its own wamid).
  const bodies = statusBodies.flatMap((body, i) => {
    if ((i + 1) % (inboundEvery - 1) !== 0) return [body];
    const from = `+1628555${String(i % CUSTOMERS).padStart(4, '0')}`;
    const text = `Where is my order ${i}?`;
    const { payload } = inboundPayload(
      number,
      { phone_number_id: number.id, from, text },
      Date.now(),
    );
    return [body, JSON.stringify(payload)];
  });
  const pool: Webhook[] = bodies.map((body) => ({ body, signature: signBody(body, appSecret) }));
  return { pool, statusShare: statusBodies.length / pool.length };
}

/**
 * The inbox with no HTTP in front and nothing else running: `pool` accepted at once, then
 * stored and processed as the API does (its queue holds them all).
 */
async function inboxAlone(store: Store, pool: Webhook[]) {
  const log = { warn: (obj: object, msg: string) => console.error(`  inbox: ${msg}`, obj) };
  const opts = { ...INBOX_DEFAULTS, maxQueued: pool.length };
  const inbox = new Inbox(store, inboundProcessor(store), log, opts);
  const started = performance.now();
  await Promise.all(pool.map((w) => inbox.accept(w.body)));
  await inbox.idle();
  return (performance.now() - started) / 1000;
}

/** Both servers must answer the same bytes, or the comparison measures something else. */
async function checkSameAnswer(urls: Record<Mode, string>, w: Webhook) {
  for (const mode of ['bare', 'api'] as const) {
    const res = await fetch(urls[mode] + ROUTE, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': w.signature },
      body: w.body,
    });
    const body = await res.text();
    if (res.status !== 200 || body !== EXPECTED_ACK) {
      throw new Error(`${mode}: ${res.status} ${body}`);
    }
  }
}

/** Cycles through the pool across all connections, so consecutive requests differ. */
class Feeder {
  sent = 0;
  wrong = 0;
  readonly samples: string[] = [];
  constructor(private readonly pool: Webhook[]) {}

  next(): Webhook {
    return this.pool[this.sent++ % this.pool.length]!;
  }

  check(status: number, body: string) {
    if (status === 200 && body === EXPECTED_ACK) return;
    this.wrong++;
    if (this.samples.length < 3) this.samples.push(`${status} ${body.slice(0, 300)}`);
  }
}

async function measure(url: string, feeder: Feeder, connections: number, duration: number) {
  const r = await autocannon({
    url: url + ROUTE,
    method: 'POST',
    connections,
    duration,
    headers: { 'content-type': 'application/json' },
    requests: [
      {
        setupRequest: (req) => {
          const w = feeder.next();
          return {
            ...req,
            body: w.body,
            headers: { ...req.headers, 'x-hub-signature-256': w.signature },
          };
        },
        onResponse: (status, body) => feeder.check(status, body),
      },
    ],
  });
  const figures: Figures = {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors,
  };
  return { figures, completed: r.requests.total };
}

const line = (name: string, f: Figures) =>
  row([name, f.rps.toFixed(0), f.p50.toFixed(2), f.p99.toFixed(2), f.non2xx, f.errors], 10);

const perSecond = (x: number) => `${x.toFixed(0).padStart(7)}/s`;

async function main(argv: string[], resources: Resources): Promise<number> {
  const flags = parseFlags(argv, {
    duration: '10',
    connections: '64',
    rounds: '2',
    messages: '30000',
    backlog: '10000',
    'inbound-every': '20',
    store: 'postgres',
  });
  const duration = positiveInt(flags.duration, '--duration');
  const connections = positiveInt(flags.connections, '--connections');
  const rounds = positiveInt(flags.rounds, '--rounds');
  const messageCount = positiveInt(flags.messages, '--messages');
  const backlogCount = positiveInt(flags.backlog, '--backlog');
  const inboundEvery = positiveInt(flags['inbound-every'], '--inbound-every');
  if (inboundEvery < 2) throw new UsageError('--inbound-every must be at least 2');

  const { env, config, servers, probe } = await startInfrastructure(resources, {
    temporal: false,
    store: storeKind(flags.store),
    env: { SANDBOX_MODE: 'false', LOG_LEVEL: 'warn' },
  });
  const database = await openStore(config);
  resources.add(() => database.close());
  const { store } = database;
  const setup = await provision(store);
  const { appSecret } = setup;
  const { pool, statusShare } = await webhooks(store, setup, messageCount, inboundEvery);
  const backlog = await webhooks(store, setup, backlogCount, inboundEvery);

  const bare = await forkServer<{ port: number }>(
    resources,
    'bare server',
    __filename,
    ['serve', 'bare'],
    { appSecret } satisfies BareRequest,
  );
  const api = await forkServer<{ port: number }>(resources, 'API', __filename, ['serve', 'api'], {
    env,
  });
  const urls: Record<Mode, string> = { bare: loopbackUrl(bare.port), api: loopbackUrl(api.port) };
  await checkSameAnswer(urls, pool[0]!);

  console.log(
    `POST ${ROUTE}: signed status webhooks (sent/delivered/read) for ${messageCount} stored ` +
      `messages and, every ${inboundEvery}th, a customer's text message (${(
        statusShare * 100
      ).toFixed(0)}% statuses);\n${pool.length} distinct bodies cycled; ${connections} ` +
      `connections, ${rounds} × ` +
      `${duration} s per server after ${WARMUP_SECONDS} s warm-up:\n` +
      `  bare  Fastify route: parse, HMAC check, answer; no store (measured first, machine quiet)\n` +
      `  api   the real route: app secret (cached), HMAC, what arrived meanwhile processed as\n` +
      `        one batch (statuses applied, messages stored), answer\n`,
  );

  const feeders: Record<Mode, Feeder> = { bare: new Feeder(pool), api: new Feeder(pool) };
  const meter = new CpuMeter({ api: api.pid, bare: bare.pid, ...servers, 'load gen': process.pid });
  const results: Record<Mode, Figures[]> = { bare: [], api: [] };
  const header = row(['', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors'], 10);
  const cpu: Record<Mode, Record<string, number>> = { bare: {}, api: {} };
  const acked: Record<Mode, number> = { bare: 0, api: 0 };
  console.log(header);
  for (const mode of ['bare', 'api'] as const) {
    await measure(urls[mode], feeders[mode], connections, WARMUP_SECONDS);
    const before = meter.read();
    for (let round = 1; round <= rounds; round++) {
      const { figures, completed } = await measure(
        urls[mode],
        feeders[mode],
        connections,
        duration,
      );
      results[mode].push(figures);
      acked[mode] += completed;
      console.log(line(`${mode} #${round}`, figures));
    }
    cpu[mode] = CpuMeter.diff(before, meter.read());
  }

  const m = { bare: summarize(results.bare), api: summarize(results.api) };
  console.log(`\nMedian of ${rounds} rounds (non-2xx and errors are totals)\n${header}`);
  console.log(line('bare', m.bare));
  console.log(line('api', m.api));

  const { count: failedCount, errors } = await probe.inboundFailures(3);
  const { stored } = await probe.inboundWebhooks();
  const underLoad = m.api.rps * statusShare;

  console.log(
    `\nTarget: ${TARGET_PER_SECOND.toLocaleString('en')} statuses/s processed (3× 1,000 messages/s out)`,
  );
  console.log(
    `  acknowledged (api median)       ${perSecond(m.api.rps)}   ` +
      `${(m.api.rps / TARGET_PER_SECOND).toFixed(3)} of target, p50 ${m.api.p50} ms, ` +
      `p99 ${m.api.p99} ms`,
  );
  console.log(
    `  statuses processed, under load  ${perSecond(underLoad)}   ` +
      `${(underLoad / TARGET_PER_SECOND).toFixed(3)} of target (each webhook is processed ` +
      `before its answer); ${stored} stored for a retry, ${failedCount} with last_error`,
  );
  for (const error of errors) console.error(`    last_error: ${error}`);

  await api.stop();
  const aloneMeter = new CpuMeter({ inbox: process.pid, ...servers });
  const aloneCpuBefore = aloneMeter.read();
  const aloneSeconds = await inboxAlone(store, backlog.pool);
  const aloneCpu = CpuMeter.diff(aloneCpuBefore, aloneMeter.read());
  const aloneStatuses = backlog.pool.length * backlog.statusShare;
  const alone = aloneStatuses / aloneSeconds;
  const aloneFailed = (await probe.inboundFailures(3)).count - failedCount;
  console.log(
    `  statuses processed, inbox alone ${perSecond(alone)}   ` +
      `${(alone / TARGET_PER_SECOND).toFixed(3)} of target (${backlog.pool.length} new ` +
      `webhooks accepted at once, stored and processed in ${aloneSeconds.toFixed(1)} s; no HTTP, ` +
      `API and load generator stopped)`,
  );
  console.log(`\nWhere the time goes`);
  console.log(
    `  bare route (parse + HMAC only)  ${perSecond(m.bare.rps)}   ` +
      `api/bare ${(m.api.rps / m.bare.rps).toFixed(3)}`,
  );
  const cpuLine = (label: string, cpu: Record<string, number>, n: number) =>
    console.log(
      `  ${label.padEnd(31)} ` +
        Object.entries(cpu)
          .map(([name, s]) => `${name} ${((s * 1000) / Math.max(n, 1)).toFixed(3)}`)
          .join(', ') +
        ' ms',
    );
  const only = (c: Record<string, number>, names: string[]) =>
    Object.fromEntries(Object.entries(c).filter(([name]) => names.includes(name)));
  cpuLine('CPU per ack, bare route', only(cpu.bare, ['bare', 'load gen']), acked.bare);
  cpuLine(
    'CPU per ack during api rounds',
    only(cpu.api, ['api', 'postgres', 'load gen']),
    acked.api,
  );
  cpuLine('CPU per status, inbox alone', aloneCpu, aloneStatuses);

  const failed = m.bare.non2xx + m.bare.errors + m.api.non2xx + m.api.errors;
  const wrong = feeders.bare.wrong + feeders.api.wrong;
  if (failed + wrong > 0 || failedCount > 0 || aloneFailed > 0) {
    for (const mode of ['bare', 'api'] as const) {
      for (const s of feeders[mode].samples) console.error(`  ${mode}: ${s}`);
    }
    console.error(
      `\n${failed + wrong} requests failed, ${failedCount + aloneFailed} webhooks failed ` +
        `processing: ` +
        `the figures above are not meaningful.`,
    );
    return 1;
  }
  return 0;
}

const [command, mode] = process.argv.slice(2);
if (command === 'serve') {
  if (mode === 'api') {
    serveChild<{ env: Env }, { port: number }>(async ({ env }) => {
      const { reply } = await listenOnLoopback(await buildApp(loadConfig(env), { logger: false }));
      // Closing the app waits for the inbox to process its whole backlog; the benchmark stops
      // it mid-backlog on purpose (the stored rest is what the worker's recovery sweep is for).
      return { reply, close: async () => undefined };
    });
  } else if (mode === 'bare') {
    serveChild<BareRequest, { port: number }>(async (request) =>
      listenOnLoopback(bareApp(request)),
    );
  } else {
    throw new Error(`Unknown server mode '${mode}'`);
  }
} else {
  runMain(USAGE, main);
}

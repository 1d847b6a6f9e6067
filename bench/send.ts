import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import autocannon from 'autocannon';
import { Agent, request } from 'undici';
import { buildApp } from '../api/app';
import { configEnv, loadConfig, type Config, type Env } from '../lib/config';
import { freePort, launch } from '../scripts/infra';
import { provisionOrganization } from '../scripts/provision';
import { createMetaSimulator } from '../sim/meta';
import { openStore, type Store } from '../store';
import { accountSettings } from '../store/accounts';
import {
  CpuMeter,
  forkServer,
  listenOnLoopback,
  loopbackUrl,
  median,
  parseFlags,
  positiveInt,
  row,
  runMain,
  serveChild,
  startInfrastructure,
  storeKind,
  summarize,
  tail,
  type Figures,
  type Probe,
  type Resources,
} from './support';

const USAGE = `Usage: node dist/bench/send.js [--duration <s>] [--connections <n>] [--rounds <n>]
       [--store postgres|mongo]

Sends template messages through POST /api/messages/send (API -> Temporal -> worker -> Meta
simulator) and straight to the simulator, and sends the API cannot accept (preflight only);
every server in its own process, measured alternately. The store is PostgreSQL (embedded
unless DATABASE_URL is set) or, with --store mongo, FerretDB (unless MONGODB_URI is set).`;

const WARMUP_SECONDS = 3;
/** Each variant alone, one request at a time: latency without queueing. */
const UNLOADED_SECONDS = 3;
const UNLOADED_MAX_REQUESTS = 5_000;
/** Far above anything this machine reaches: the benchmark must not measure the limiter. */
const SIM_THROUGHPUT = 1_000_000;
/** Recipients cycled through; their contacts exist after the first sends. */
const RECIPIENTS = Array.from({ length: 50 }, (_, i) => `1415555${String(i).padStart(4, '0')}`);
const TEMPLATE = 'order_confirmation';
const LANGUAGE = 'en';
const BODY_PARAMETERS = [
  { type: 'text', text: 'Asha' },
  { type: 'text', text: '#1042' },
];
const MISSING_TEMPLATE = 'bench_no_such_template';
/** Bounded: the activity's store work measured directly, outside Temporal. */
const STORE_SECONDS = 3;
const STORE_MAX_ITERATIONS = 2_000;

type Variant = 'simulator' | 'send' | 'preflight';
const VARIANTS: readonly Variant[] = ['simulator', 'send', 'preflight'];

interface SimRequest {
  port: number;
  accessToken: string;
  appSecret: string;
}

/** How one variant is driven and what counts as a correct answer. */
interface Target {
  url: string;
  headers: Record<string, string>;
  body: (n: number) => string;
  /** Why the answer is wrong, or null when it is what the variant expects. */
  wrong: (status: number, body: string) => string | null;
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return null;
  }
}

function targets(opts: {
  simUrl: string;
  apiUrl: string;
  apiKey: string;
  phoneNumberId: string;
  accessToken: string;
}): Record<Variant, Target> {
  const recipient = (n: number) => RECIPIENTS[n % RECIPIENTS.length]!;
  const apiBody = (name: string) => (n: number) =>
    JSON.stringify({
      to: `+${recipient(n)}`,
      type: 'template',
      template: {
        name,
        language: LANGUAGE,
        components: [{ type: 'body', parameters: BODY_PARAMETERS }],
      },
    });
  const apiHeaders = { 'x-api-key': opts.apiKey };
  return {
    simulator: {
      url: `${opts.simUrl}/v21.0/${opts.phoneNumberId}/messages`,
      headers: { authorization: `Bearer ${opts.accessToken}` },
      // What the worker's Meta client posts for the same API request.
      body: (n) =>
        JSON.stringify({
          messaging_product: 'whatsapp',
          recipient_type: 'individual',
          to: recipient(n),
          type: 'template',
          template: {
            name: TEMPLATE,
            language: { code: LANGUAGE },
            components: [{ type: 'body', parameters: BODY_PARAMETERS }],
          },
          biz_opaque_callback_data: randomUUID(),
        }),
      wrong(status, body) {
        const id = (parseJson(body) as { messages?: { id?: string }[] } | null)?.messages?.[0]?.id;
        return status === 200 && id?.startsWith('wamid.') ? null : `${status} ${body}`;
      },
    },
    send: {
      url: `${opts.apiUrl}/api/messages/send`,
      headers: apiHeaders,
      body: apiBody(TEMPLATE),
      wrong(status, body) {
        const data = (parseJson(body) as { data?: { status?: string; message_id?: string } })?.data;
        return status === 200 && data?.status === 'sent' && data.message_id
          ? null
          : `${status} ${body}`;
      },
    },
    preflight: {
      url: `${opts.apiUrl}/api/messages/send`,
      headers: apiHeaders,
      body: apiBody(MISSING_TEMPLATE),
      wrong: (status, body) => (status === 404 ? null : `${status} ${body}`),
    },
  };
}

/** Every answer of one variant, warm-up included, with a few wrong ones to show. */
class Tally {
  ok = 0;
  wrong = 0;
  errors = 0;
  readonly samples: string[] = [];
  record(reason: string | null) {
    if (reason === null) {
      this.ok++;
      return;
    }
    this.wrong++;
    if (this.samples.length < 3) this.samples.push(reason.slice(0, 300));
  }
}

interface Run {
  /** `non2xx` holds the answers that are not what the variant expects (see `Target.wrong`). */
  figures: Figures;
  completed: number;
}

/**
 * One request at a time, timed here rather than by autocannon, whose latencies are whole
 * milliseconds: the simulator answers in a fraction of one.
 */
async function unloaded(t: Target, tally: Tally, seconds: number) {
  const agent = new Agent({ connections: 1 });
  const ms: number[] = [];
  const deadline = Date.now() + seconds * 1000;
  try {
    for (let n = 0; Date.now() < deadline && n < UNLOADED_MAX_REQUESTS; n++) {
      const started = performance.now();
      const res = await request(t.url, {
        method: 'POST',
        dispatcher: agent,
        headers: { 'content-type': 'application/json', ...t.headers },
        body: t.body(n),
      });
      const body = await res.body.text();
      ms.push(performance.now() - started);
      tally.record(t.wrong(res.statusCode, body));
    }
  } finally {
    await agent.close();
  }
  return { p50: median(ms), mean: ms.reduce((a, b) => a + b, 0) / ms.length, count: ms.length };
}

async function drive(t: Target, tally: Tally, connections: number, duration: number): Promise<Run> {
  let n = 0;
  let wrong = 0;
  const r = await autocannon({
    url: t.url,
    method: 'POST',
    connections,
    duration,
    // Longer than the API's own 10 s wait, so a slow send shows as a 202, not a timeout.
    timeout: 30,
    headers: { 'content-type': 'application/json', ...t.headers },
    requests: [
      {
        setupRequest: (req) => ({ ...req, body: t.body(n++) }),
        onResponse: (status, body) => {
          const reason = t.wrong(status, body);
          if (reason !== null) wrong++;
          tally.record(reason);
        },
      },
    ],
  });
  tally.errors += r.errors;
  if (r.errors > 0 && tally.samples.length < 3) {
    tally.samples.push(`${r.errors} connection errors, ${r.timeouts} of them timeouts`);
  }
  return {
    figures: {
      rps: r.requests.average,
      p50: r.latency.p50,
      p99: r.latency.p99,
      non2xx: wrong,
      errors: r.errors,
    },
    completed: r.requests.total,
  };
}

async function provision(store: Store, config: Config) {
  const p = await provisionOrganization(store, { name: 'bench' }, accountSettings(config).sandbox);
  // High enough that the limiter does all its bookkeeping but never refuses a request.
  const { key } = await store.apiKeys.create(p.organization.id, {
    name: 'bench',
    rateLimit: { per_minute: 100_000_000, per_second: 10_000_000 },
  });
  return { orgId: p.organization.id, account: p.sandbox_account!, key };
}

/** The templates must be synced before a send can name one; the worker runs the sync. */
async function syncTemplates(apiUrl: string, key: string, workerExited: Promise<string>) {
  const res = await Promise.race([
    fetch(`${apiUrl}/api/templates/sync`, {
      method: 'POST',
      headers: { 'x-api-key': key, 'content-type': 'application/json' },
      body: '{}',
      signal: AbortSignal.timeout(90_000),
    }),
    workerExited.then((why) => Promise.reject(new Error(why))),
  ]);
  const body = await res.text();
  if (res.status !== 200) throw new Error(`Template sync answered ${res.status}: ${body}`);
  return (JSON.parse(body) as { data: { synced: number } }).data.synced;
}

async function checkOnce(t: Record<Variant, Target>, tallies: Record<Variant, Tally>) {
  for (const variant of VARIANTS) {
    const { url, headers, body, wrong } = t[variant];
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: body(0),
      signal: AbortSignal.timeout(30_000),
    });
    const reason = wrong(res.status, await res.text());
    if (reason) throw new Error(`${variant}: unexpected answer ${reason}`);
    tallies[variant].record(null);
  }
}

/** What the send activity does with the store around the Meta call, run here directly. */
async function activityStoreWork(probe: Probe, store: Store, orgId: string, accountId: string) {
  const stored = await probe.messageCount();
  const deadline = Date.now() + STORE_SECONDS * 1000;
  const started = performance.now();
  let n = 0;
  while (Date.now() < deadline && n < STORE_MAX_ITERATIONS) {
    const id = randomUUID();
    const phone = `+${RECIPIENTS[0]}`;
    await store.messages.insert({
      _id: id,
      org_id: orgId,
      account_id: accountId,
      contact_id: 'bench',
      direction: 'outbound',
      phone_number: phone,
      type: 'template',
      content: { name: TEMPLATE },
      origin: 'api',
      origin_id: null,
      request_hash: null,
      wamid: null,
      status: 'queued',
    });
    const account = await store.accounts.get(orgId, accountId);
    store.accounts.credentials(account!);
    const wamid = `wamid.bench-${id}`;
    await store.messages.setWamid(id, wamid);
    await store.messages.applyStatus(id, 'sent', new Date());
    await store.events.record(orgId, `message.sent:${wamid}`, 'message.sent', {
      message_id: wamid,
      to: phone,
    });
    n++;
  }
  return { ms: (performance.now() - started) / n, count: n, stored };
}

/** Visibility is eventually consistent: read until two readings a second apart agree. */
async function countWorkflows(address: string, namespace: string) {
  const connection = await Connection.connect({ address });
  try {
    const client = new Client({ connection, namespace });
    const count = async (q: string) => (await client.workflow.count(q)).count;
    let last = -1;
    for (let i = 0; i < 10; i++) {
      const all = await count('WorkflowType = "sendMessageWorkflow"');
      if (all === last) break;
      last = all;
      await new Promise((r) => setTimeout(r, 1000));
    }
    const notCompleted = await count(
      'WorkflowType = "sendMessageWorkflow" AND ExecutionStatus != "Completed"',
    );
    return { started: last, notCompleted };
  } finally {
    await connection.close();
  }
}

const line = (name: string, f: Figures) =>
  row([name, f.rps.toFixed(0), f.p50.toFixed(2), f.p99.toFixed(2), f.non2xx, f.errors], 14, 11);

async function main(argv: string[], resources: Resources): Promise<number> {
  const flags = parseFlags(argv, {
    duration: '10',
    connections: '16',
    rounds: '2',
    store: 'postgres',
  });
  const duration = positiveInt(flags.duration, '--duration');
  const connections = positiveInt(flags.connections, '--connections');
  const rounds = positiveInt(flags.rounds, '--rounds');

  const simUrl = loopbackUrl(await freePort());
  const { env, config, tmp, servers, probe } = await startInfrastructure(resources, {
    temporal: true,
    store: storeKind(flags.store),
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

  const database = await openStore(config);
  resources.add(() => database.close());
  const { store } = database;
  const { orgId, account, key } = await provision(store, config);

  const workerLog = join(tmp, 'worker.log');
  const worker = resources.managed(
    launch('worker', process.execPath, [join(__dirname, '..', 'worker', 'main.js')], {
      env: { ...configEnv(config), LOG_LEVEL: env.LOG_LEVEL },
      logFile: workerLog,
    }),
  );
  const workerExited = new Promise<string>((resolve) =>
    worker.child.once('exit', (code, signal) =>
      resolve(`The worker exited (${signal ?? code}):\n${tail(workerLog)}`),
    ),
  );
  const api = await forkServer<{ port: number }>(resources, 'API', __filename, ['serve', 'api'], {
    env,
  });
  const apiUrl = loopbackUrl(api.port);
  const synced = await syncTemplates(apiUrl, key, workerExited);

  const t = targets({
    simUrl: loopbackUrl(sim.port),
    apiUrl,
    apiKey: key,
    phoneNumberId: account.phone_number_id,
    accessToken,
  });
  const tallies = { simulator: new Tally(), send: new Tally(), preflight: new Tally() };
  await checkOnce(t, tallies);
  let sendRuns = 0;

  console.log(
    `Template ${TEMPLATE} (${BODY_PARAMETERS.length} body parameters) to ${RECIPIENTS.length} ` +
      `recipients (${synced} templates synced); ${connections} connections, ${rounds} × ` +
      `${duration} s per variant after ${WARMUP_SECONDS} s warm-up, alternating:\n` +
      `  simulator  POST straight to the Meta simulator's /messages\n` +
      `  send       POST /api/messages/send: preflight, Temporal workflow, activity, simulator; ` +
      `200 "sent"\n` +
      `  preflight  the same with an unknown template: auth, validation, reads, 404; no Temporal\n` +
      `Simulator limit ${SIM_THROUGHPUT.toLocaleString('en')}/s, status webhooks disabled: ` +
      `only the send path is measured.\n`,
  );

  const alone: Partial<Record<Variant, Awaited<ReturnType<typeof unloaded>>>> = {};
  for (const variant of VARIANTS) {
    alone[variant] = await unloaded(t[variant], tallies[variant], UNLOADED_SECONDS);
  }
  // Right after, so against the same number of stored messages (FerretDB's cost grows with it).
  const storeWork = await activityStoreWork(probe, store, orgId, account.id);
  for (const variant of VARIANTS) {
    await drive(t[variant], tallies[variant], connections, WARMUP_SECONDS);
  }
  sendRuns++;

  const meter = new CpuMeter({
    ...servers,
    worker: worker.child.pid!,
    api: api.pid,
    simulator: sim.pid,
    'load gen': process.pid,
  });
  const cpu: Record<Variant, Record<string, number>> = { simulator: {}, send: {}, preflight: {} };
  const completed: Record<Variant, number> = { simulator: 0, send: 0, preflight: 0 };
  const results: Record<Variant, Figures[]> = { simulator: [], send: [], preflight: [] };
  const header = row(['', 'req/s', 'p50 ms', 'p99 ms', 'unexpected', 'errors'], 14, 11);
  console.log(header);
  for (let round = 1; round <= rounds; round++) {
    for (const variant of VARIANTS) {
      const before = meter.read();
      const run = await drive(t[variant], tallies[variant], connections, duration);
      if (variant === 'send') sendRuns++;
      for (const [name, s] of Object.entries(CpuMeter.diff(before, meter.read()))) {
        cpu[variant][name] = (cpu[variant][name] ?? 0) + s;
      }
      completed[variant] += run.completed;
      results[variant].push(run.figures);
      const stored = variant === 'send' ? `   (${await probe.messageCount()} messages stored)` : '';
      console.log(line(`${variant} #${round}`, run.figures) + stored);
    }
  }

  const m = {
    simulator: summarize(results.simulator),
    send: summarize(results.send),
    preflight: summarize(results.preflight),
  };
  console.log(`\nMedian of ${rounds} rounds (unexpected and errors are totals)\n${header}`);
  for (const variant of VARIANTS) console.log(line(variant, m[variant]));
  console.log(
    `\nmessages/s through the API:   ${m.send.rps.toFixed(0)}` +
      `\nthroughput API/simulator:     ${(m.send.rps / m.simulator.rps).toFixed(4)}` +
      `  (the simulator alone answers ${(m.simulator.rps / m.send.rps).toFixed(0)}× faster)`,
  );

  const workflows = await countWorkflows(config.temporal.address, config.temporal.namespace);
  const storeWorkAfter = await activityStoreWork(probe, store, orgId, account.id);
  const u = (v: Variant) => alone[v]!.p50;
  const temporalPart = u('send') - u('preflight') - u('simulator');
  const ms = (x: number) => `${x.toFixed(2).padStart(8)} ms`;
  console.log(`\nWhere the time goes`);
  console.log(
    `  One request at a time, before the load (p50 of ${VARIANTS.map((v) => alone[v]!.count).join('/')} requests):`,
  );
  console.log(`    simulator alone                                ${ms(u('simulator'))}`);
  console.log(`    API preflight (auth, validation, 3 reads)      ${ms(u('preflight'))}`);
  console.log(`    API send                                       ${ms(u('send'))}`);
  console.log(`    send - preflight - simulator                   ${ms(temporalPart)}`);
  console.log(
    `      the activity's 6 store calls, run directly   ${ms(storeWork.ms)}` +
      `   (mean of ${storeWork.count}, ${storeWork.stored} messages stored)`,
  );
  console.log(
    `      the rest: Temporal start, 2 workflow tasks,   ${ms(temporalPart - storeWork.ms)}` +
      `\n      1 activity task and the result`,
  );
  console.log(
    `  The activity's store calls after the rounds       ${ms(storeWorkAfter.ms)}` +
      `   (mean of ${storeWorkAfter.count}, ${storeWorkAfter.stored} messages stored)`,
  );

  console.log(`  CPU per request during the measured rounds (ms):`);
  const names = Object.keys(cpu.send);
  const cores = availableParallelism();
  let sendCpu = 0;
  console.log(`    ${row(['', ...names, 'total'], 10)}`);
  for (const variant of VARIANTS) {
    const per = names.map((name) => ((cpu[variant][name] ?? 0) * 1000) / completed[variant]);
    const total = per.reduce((a, b) => a + b, 0);
    console.log(`    ${row([variant, ...per.map((x) => x.toFixed(3)), total.toFixed(3)], 10)}`);
    if (variant === 'send') sendCpu = total;
  }
  console.log(
    `  At ${sendCpu.toFixed(0)} ms of CPU per message, ${cores} cores allow at most ` +
      `${((cores * 1000) / sendCpu).toFixed(0)} messages/s through the API.`,
  );
  // A run that ends cuts off at most one request per connection; those still send.
  const cutOff = workflows.started - tallies.send.ok;
  console.log(
    `  Workflows: ${workflows.started} sendMessageWorkflow started, ` +
      `${workflows.notCompleted} not completed; ${tallies.send.ok} sends answered "sent", ` +
      `${cutOff} cut off in flight when a run ended (at most ${sendRuns * connections}); ` +
      `${tallies.preflight.ok} preflight requests` +
      (cutOff >= 0 && cutOff <= sendRuns * connections ? ' started none.' : '.'),
  );

  const failed = VARIANTS.reduce((n, v) => n + tallies[v].wrong + tallies[v].errors, 0);
  if (failed > 0) {
    for (const variant of VARIANTS) {
      for (const s of tallies[variant].samples) console.error(`  ${variant}: ${s}`);
    }
    console.error(`\n${failed} requests failed: the figures above are not meaningful.`);
    return 1;
  }
  return 0;
}

const [command, role] = process.argv.slice(2);
if (command === 'serve') {
  if (role === 'api') {
    serveChild<{ env: Env }, { port: number }>(async ({ env }) =>
      listenOnLoopback(await buildApp(loadConfig(env), { logger: false })),
    );
  } else if (role === 'simulator') {
    serveChild<SimRequest, { port: number }>(async (request) => {
      const sim = await createMetaSimulator({
        host: '127.0.0.1',
        port: request.port,
        accessToken: request.accessToken,
        appSecret: request.appSecret,
        webhookUrl: null,
        throughputPerSecond: SIM_THROUGHPUT,
        statusWebhooks: { enabled: false },
      });
      return { reply: { port: request.port }, close: () => sim.close() };
    });
  } else {
    throw new Error(`Unknown server '${role}'`);
  }
} else {
  runMain(USAGE, main);
}

import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import type pg from 'pg';
import { Agent, request } from 'undici';
import type { Config } from '../lib/config';
import { randomToken } from '../lib/crypto';
import { sandboxWabaId } from '../lib/sandbox-ids';
import { freePort } from '../scripts/infra';
import { provisionOrganization } from '../scripts/provision';
import type { SendLogEntry, WebhookStats } from '../sim/meta/types';
import { openStore, type Store } from '../store';
import { accountSettings, DEFAULT_THROUGHPUT } from '../store/accounts';
import type { NewMessage } from '../store/contract/messages';
import type { AccountDoc } from '../store/documents';
import type { Signals } from '../store/signals';
import { MESSAGE_RETRY_WORKFLOW } from '../workflows/contracts/message-retry';
import { PhaseProfiler } from './profile';
import { benchEntry, type SimRequest } from './servers';
import { simControl, type SimControl } from './sim-control';
import { statusesDrained, webhookFigures, type WebhookFigures } from './statuses';
import {
  CpuMeter,
  cpuPerMessage,
  fixed,
  forkServer,
  grouped,
  launchWorkerAndApi,
  loopbackUrl,
  median,
  openLoop,
  parseFlags,
  percentile,
  positiveInt,
  readCpu,
  row,
  sqlPool,
  startInfrastructure,
  sum,
  tail,
  UsageError,
  WAFLOW_CPU_GOAL_MS,
  WAFLOW_PROCESSES,
  waflowCpu,
  type CpuFigures,
  type Probe,
  type Resources,
} from './support';

const USAGE = `Usage: node dist/bench/send.js [--duration <s>] [--rate <n>] [--drain-timeout <s>]
                                 [--only <phase>[,<phase>...]] [--profile <folder>]

Measures the send pipeline (API -> send queue -> the worker's dispatcher -> Meta simulator),
every server in its own process: PostgreSQL, Temporal, the API, the worker, the simulator and
this load generator. Phases of --duration seconds (default 20), one after the other:
  api   --rate requests/s (default 72: 90% of the number's cap of 80, since a lane sends at
        95% of it to absorb network jitter, and a load at the cap itself queues without end),
        evenly spaced (open loop), to POST /api/messages/send, each to a new recipient; the
        simulator caps the number at 80/s
  api/2 the same at half the rate for at most 10 s: the latency without a backlog
  bulk  5 numbers capped at 80/s, cap x duration messages each enqueued as campaigns do
  big0  1 number capped at 1,000/s, the same way, for at most 10 s: its send path alone
  big   another such number, with the simulator posting every message's sent, delivered
        and read status webhooks to the API (3,000 a second)
  over  3 more such numbers at once, with their status webhooks, for at most 10 s of their caps:
        more than 2 cores can do, so the pace must level off at what the CPU allows, no send
        time out into a retry, and every message go out within the drain
Then checks that the simulator accepted every message exactly once (exit 1 if not). The store is
PostgreSQL (embedded unless DATABASE_URL is set); --drain-timeout (default 60) bounds each wait
for the queue and the statuses to drain. --only runs the named phases alone. --profile writes the
API's, the worker's and the simulator's CPU profiles (node --cpu-prof) into the folder, for
\`node dist/bench/cpu-profile.js <folder>\`, and prints each phase's PostgreSQL statements by
time (pg_stat_statements) and the Temporal server's requests by operation.`;

const PHASES = ['api', 'api/2', 'bulk', 'big0', 'big', 'over'] as const;
type Phase = (typeof PHASES)[number];

const API_CAP = DEFAULT_THROUGHPUT;
const BULK_NUMBERS = 5;
const BULK_CAP = DEFAULT_THROUGHPUT;
const BIG_CAP = 1_000;
const OVER_NUMBERS = 3;
const RATE_GOAL = 0.9;
const P99_GOAL_MS = 50;
/** Before the API phase's measured window, at the same rate: JIT, pools, the lane started. */
const WARMUP_SECONDS = 2;
/** A bulk lane's first second (its start, the first chunk landing) is not its pace. */
const STEADY_SKIP_MS = 1_000;
/** Messages per enqueue call, as a campaign would hand them over. */
const ENQUEUE_CHUNK = 2_000;
const STATUS_DELAY_MS = 10;
const DRAIN_POLL_MS = 500;
const SIM_CALL_TIMEOUT_MS = 30_000;
const STATUSES_PER_MESSAGE = 3;
/** The worker adds its counters (Meta's refusals among them) to the store this often. */
const COUNTER_FLUSH_MS = 5_000;
const API_LATENCY_SLICES = 4;
/** The API again at half the rate, briefly: its latency without a backlog, for comparison. */
const CALM_SECONDS = 10;
const TEMPLATE = 'order_confirmation';
const LANGUAGE = 'en';
const BODY_PARAMETERS = [
  { type: 'text', text: 'Asha' },
  { type: 'text', text: '#1042' },
];
const PROCESSES = ['api', 'worker', 'simulator', 'postgres', 'temporal', 'load gen'];
/** CPU the machine used besides the benchmark's processes: other work on a shared machine. */
const OTHERS = 'others';

/** Everything the phases share. */
interface Bench {
  config: Config;
  store: Store;
  signals: Signals;
  sql: pg.Pool;
  probe: Probe;
  sim: SimControl;
  meter: CpuMeter;
  ledger: Ledger;
  apiUrl: string;
  apiKey: string;
  drainMs: number;
  profiler: PhaseProfiler | null;
}

let recipients = 0;
/**
 * A new recipient for every message, so the pair rate never limits a send; valid numbers (an
 * exchange starting 0 or 1 is not), since the API refuses the others.
 */
const nextRecipient = () => `+1415${String(2_000_000 + recipients++)}`;

/** Every message handed to the pipeline, and how often the simulator accepted each. */
class Ledger {
  private readonly expected = new Set<string>();
  private readonly accepted = new Map<string, number>();

  expect(ids: Iterable<string>): void {
    for (const id of ids) this.expected.add(id);
  }

  see(sends: SendLogEntry[]): void {
    for (const s of sends) {
      const id = s.biz_opaque_callback_data ?? `(none) ${s.wamid}`;
      this.accepted.set(id, (this.accepted.get(id) ?? 0) + 1);
    }
  }

  figures() {
    const duplicated = [...this.accepted].filter(([, n]) => n > 1);
    const lost = [...this.expected].filter((id) => !this.accepted.has(id));
    const unknown = [...this.accepted.keys()].filter((id) => !this.expected.has(id));
    return { expected: this.expected.size, duplicated, lost, unknown };
  }
}

const timesOf = (sends: SendLogEntry[], phoneNumberId: string) =>
  sends
    .filter((s) => s.phone_number_id === phoneNumberId)
    .map((s) => Date.parse(s.time))
    .sort((a, b) => a - b);

/** Sends a second from the first second's end to the last send. */
function steadyRate(times: number[]) {
  if (times.length < 2) return { rate: 0, from: NaN, to: NaN };
  const from = times[0]! + STEADY_SKIP_MS;
  const to = times[times.length - 1]!;
  const count = times.filter((t) => t > from).length;
  return { rate: to > from ? count / ((to - from) / 1000) : 0, from, to };
}

/**
 * Until the accounts' queues are empty, waiting `expectMs` (what sending them takes at the cap)
 * and the drain timeout at most; how many messages are left when the wait ends.
 */
async function drain(b: Bench, accountIds: string[], expectMs = 0): Promise<number> {
  const deadline = Date.now() + expectMs + b.drainMs;
  for (;;) {
    const depths = await b.store.sendQueue.depths(accountIds);
    const left = sum([...depths.values()].map((d) => d.transactional + d.bulk));
    if (!left || Date.now() > deadline) return left;
    // Counting a long queue is work for the database the figures would include.
    await sleep(DRAIN_POLL_MS);
  }
}

interface Answer {
  n: number;
  ms: number;
  kind: 'sent' | 'queued' | 'error';
  id: string | null;
  detail: string;
}

const sendBody = (to: string) =>
  JSON.stringify({
    to,
    type: 'template',
    template: {
      name: TEMPLATE,
      language: LANGUAGE,
      components: [{ type: 'body', parameters: BODY_PARAMETERS }],
    },
  });

/** One API send; its latency counts from when it was due, so a late start is not hidden. */
async function apiSend(b: Bench, agent: Agent, n: number, due: number): Promise<Answer> {
  try {
    const res = await request(`${b.apiUrl}/api/messages/send`, {
      method: 'POST',
      dispatcher: agent,
      headers: { 'content-type': 'application/json', 'x-api-key': b.apiKey },
      body: sendBody(nextRecipient()),
    });
    const text = await res.body.text();
    const ms = performance.now() - due;
    const data = (JSON.parse(text) as { data?: { id?: string; status?: string } }).data;
    const kind =
      res.statusCode === 200 && data?.status === 'sent'
        ? 'sent'
        : res.statusCode === 202 && data?.status === 'queued'
          ? 'queued'
          : 'error';
    return { n, ms, kind, id: data?.id ?? null, detail: `${res.statusCode} ${text.slice(0, 200)}` };
  } catch (err) {
    return { n, ms: performance.now() - due, kind: 'error', id: null, detail: String(err) };
  }
}

interface ApiFigures {
  rate: number;
  cap: number;
  p50: number;
  p99: number;
  max: number;
  /** p50 of each successive slice of the measured window: growth is queueing. */
  p50BySlice: number[];
  sent: number;
  queued: number;
  errors: number;
  errorSamples: string[];
  cpu: CpuFigures;
}

async function apiPhase(
  b: Bench,
  account: AccountDoc,
  rate: number,
  seconds: number,
): Promise<ApiFigures> {
  const agent = new Agent({ keepAliveTimeout: 60_000 });
  const warmup = Math.round(rate * WARMUP_SECONDS);
  const total = warmup + Math.round(rate * seconds);
  const pending: Promise<Answer>[] = [];
  let before: Record<string, number> = {};
  let windowFrom = 0;
  await openLoop(rate, total, (n, due) => {
    if (n === warmup) {
      before = readCpu(b.meter);
      windowFrom = Date.now();
    }
    pending.push(apiSend(b, agent, n, due));
  });
  const cpu = CpuMeter.diff(before, readCpu(b.meter));
  const windowTo = windowFrom + seconds * 1000;
  const answers = await Promise.all(pending);
  await agent.close();
  b.ledger.expect(answers.flatMap((a) => (a.id ? [a.id] : [])));
  await drain(b, [account._id]);
  const sends = await b.sim.takeSends();
  b.ledger.see(sends);
  const inWindow = timesOf(sends, account.phone_number_id).filter(
    (t) => t >= windowFrom && t < windowTo,
  ).length;
  const measured = answers.filter((a) => a.n >= warmup);
  const ms = measured.map((a) => a.ms).sort((x, y) => x - y);
  const errors = answers.filter((a) => a.kind === 'error');
  return {
    rate: inWindow / seconds,
    cap: API_CAP,
    p50: percentile(ms, 0.5),
    p99: percentile(ms, 0.99),
    max: ms[ms.length - 1] ?? NaN,
    p50BySlice: slices(measured, API_LATENCY_SLICES),
    sent: measured.filter((a) => a.kind === 'sent').length,
    queued: measured.filter((a) => a.kind === 'queued').length,
    errors: errors.length,
    errorSamples: errors.slice(0, 3).map((a) => a.detail),
    cpu: cpuPerMessage(PROCESSES, cpu, Math.max(1, inWindow), seconds * 1000),
  };
}

function slices(answers: Answer[], count: number): number[] {
  const size = Math.ceil(answers.length / count);
  return Array.from({ length: count }, (_, i) => {
    const ms = answers
      .slice(i * size, (i + 1) * size)
      .map((a) => a.ms)
      .sort((x, y) => x - y);
    return percentile(ms, 0.5);
  });
}

/** A template message to a new recipient, as a campaign queues it. */
function bulkMessage(account: AccountDoc): NewMessage {
  const phone = nextRecipient();
  return {
    _id: randomUUID(),
    org_id: account.org_id,
    account_id: account._id,
    contact_id: `bench-${phone}`,
    direction: 'outbound',
    phone_number: phone,
    user_id: null,
    type: 'template',
    content: {
      name: TEMPLATE,
      language: { code: LANGUAGE },
      components: [{ type: 'body', parameters: BODY_PARAMETERS }],
    },
    origin: 'campaign',
    origin_id: null,
    request_hash: null,
    wamid: null,
    status: 'queued',
  };
}

/**
 * `perAccount` messages for each account, in chunks taken in turn from each, so that every
 * lane starts at once; each chunk signalled to the dispatchers. Returns the enqueue rate.
 */
async function enqueueAll(b: Bench, accounts: AccountDoc[], perAccount: number) {
  const started = performance.now();
  for (let done = 0; done < perAccount; done += ENQUEUE_CHUNK) {
    for (const account of accounts) {
      const size = Math.min(ENQUEUE_CHUNK, perAccount - done);
      const messages = Array.from({ length: size }, () => bulkMessage(account));
      await b.store.sendQueue.enqueue(messages, 'bulk');
      b.ledger.expect(messages.map((m) => m._id));
      await b.signals.publish('send_queued', account._id);
    }
  }
  return (perAccount * accounts.length) / ((performance.now() - started) / 1000);
}

interface NumberFigures {
  accountId: string;
  /** Accepted by the simulator. */
  total: number;
  rate: number;
  cap: number;
  maxPerSecond: number;
}

interface BulkFigures {
  numbers: NumberFigures[];
  enqueuedPerSecond: number;
  left: number;
  cpu: CpuFigures;
  /** The steady window and last send of the first number, for the status figures. */
  window: { from: number; to: number };
  /** When the simulator accepted each of the phase's sends (epoch ms). */
  times: number[];
}

async function bulkPhase(
  b: Bench,
  accounts: AccountDoc[],
  cap: number,
  seconds: number,
  /** Work the phase's CPU figures include after the queue drained (the status webhooks). */
  settle?: () => Promise<void>,
): Promise<BulkFigures> {
  const perAccount = cap * seconds;
  const before = readCpu(b.meter);
  const started = performance.now();
  const enqueuedPerSecond = await enqueueAll(b, accounts, perAccount);
  const ids = accounts.map((a) => a._id);
  const left = await drain(b, ids, seconds * 1000);
  await settle?.();
  const cpu = CpuMeter.diff(before, readCpu(b.meter));
  const wallMs = performance.now() - started;
  const sends = await b.sim.takeSends();
  b.ledger.see(sends);
  const timesByNumber = accounts.map((a) => timesOf(sends, a.phone_number_id));
  const numbers = accounts.map((a, i) => {
    const times = timesByNumber[i]!;
    const { rate } = steadyRate(times);
    return { accountId: a._id, total: times.length, rate, cap, maxPerSecond: maxPerSecond(times) };
  });
  const first = steadyRate(timesByNumber[0]!);
  return {
    numbers,
    enqueuedPerSecond,
    left,
    cpu: cpuPerMessage(PROCESSES, cpu, Math.max(1, sends.length), wallMs),
    window: { from: first.from, to: first.to },
    times: timesByNumber.flat(),
  };
}

/** Most sends in any second (sliding), as Meta counts them. */
function maxPerSecond(times: number[]): number {
  let most = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i]! - times[j]! >= 1000) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

interface StatusFigures extends WebhookFigures {
  readPerSecond: number;
  /** Status webhooks the API stored for a retry: their processing failed at once. */
  stored: number;
  expected: number;
  read: number;
  sent: number;
  lagMs: number;
  drained: boolean;
}

/** Stored webhooks not processed yet. */
const pendingWebhooks = (b: Bench) => async () => {
  const { stored, processed } = await b.probe.inboundWebhooks();
  return stored - processed;
};

/** A message's updated_at moves when its status last did (to `read`, its last). */
async function statusFigures(
  b: Bench,
  account: AccountDoc,
  window: { from: number; to: number },
  sent: number,
  drained: boolean,
  before: WebhookStats,
): Promise<StatusFigures> {
  const from = new Date(window.from);
  const to = new Date(window.to);
  const seconds = (window.to - window.from) / 1000;
  const webhooks = await webhookFigures(b.sim, before, window);
  const all = await b.probe.inboundWebhooks();
  const reads = await b.sql.query<{ read: number; in_window: number; last: Date | null }>(
    `SELECT count(*)::int AS read,
            count(*) FILTER (WHERE updated_at > $2 AND updated_at <= $3)::int AS in_window,
            max(updated_at) AS last
     FROM messages WHERE account_id = $1 AND status = 'read'`,
    [account._id, from, to],
  );
  const r = reads.rows[0]!;
  return {
    ...webhooks,
    readPerSecond: r.in_window / seconds,
    stored: all.stored,
    expected: sent * STATUSES_PER_MESSAGE,
    read: r.read,
    sent,
    lagMs: r.last ? r.last.getTime() - window.to : NaN,
    drained,
  };
}

/** Meta's sent, delivered and read webhooks for every message, posted to the API. */
const statusWebhooksOn = (b: Bench) =>
  b.sim.configure({
    statusWebhooks: {
      enabled: true,
      delayMs: STATUS_DELAY_MS,
      deliveredRate: 1,
      readRate: 1,
      duplicateRate: 0,
      reorderRate: 0,
    },
  });

/** The big number, with Meta's status webhooks for every message posted to the API. */
async function bigPhase(b: Bench, account: AccountDoc, seconds: number) {
  await statusWebhooksOn(b);
  let drained = false;
  const before = await b.sim.webhookStats();
  // The CPU figures count every message's statuses, not just those in by the last send.
  const big = await bulkPhase(b, [account], BIG_CAP, seconds, async () => {
    drained = await statusesDrained(b.sim, pendingWebhooks(b), b.drainMs);
  });
  const total = big.numbers[0]!.total;
  const statuses = await statusFigures(b, account, big.window, total, drained, before);
  return { ...big, statuses };
}

interface OverFigures extends BulkFigures {
  /** The numbers' sends together, per second of the steady window. */
  perSecond: { median: number; min: number; max: number };
  /** The steady window's second half's rate ÷ its first half's: below 1, the pace sagged. */
  halves: number;
  /** Message retry workflows started during the phase: a send that timed out starts one. */
  retries: number;
  statusesDrained: boolean;
}

/** Sends a second, all numbers together, over the window from their first to last second. */
function perSecondTotals(times: number[]): number[] {
  const sorted = [...times].sort((a, b) => a - b);
  if (sorted.length < 2) return [];
  const from = sorted[0]! + STEADY_SKIP_MS;
  const seconds = Math.floor((sorted[sorted.length - 1]! - from) / 1000);
  const counts = new Array<number>(Math.max(0, seconds)).fill(0);
  for (const t of sorted) {
    const i = Math.floor((t - from) / 1000);
    if (i >= 0 && i < counts.length) counts[i]!++;
  }
  return counts;
}

async function retryWorkflowsSince(config: Config, since: Date): Promise<number> {
  const connection = await Connection.connect({ address: config.temporal.address });
  try {
    const client = new Client({ connection, namespace: config.temporal.namespace });
    const { count } = await client.workflow.count(
      `WorkflowType = '${MESSAGE_RETRY_WORKFLOW}' AND StartTime >= '${since.toISOString()}'`,
    );
    return count;
  } finally {
    await connection.close();
  }
}

/** Several 1,000/s numbers with their statuses at once: more than the machine can do. */
async function overPhase(b: Bench, accounts: AccountDoc[], seconds: number): Promise<OverFigures> {
  await statusWebhooksOn(b);
  const startedAt = new Date();
  let drained = false;
  const f = await bulkPhase(b, accounts, BIG_CAP, seconds, async () => {
    drained = await statusesDrained(b.sim, pendingWebhooks(b), b.drainMs);
  });
  const counts = perSecondTotals(f.times);
  const half = Math.floor(counts.length / 2);
  const mean = (xs: number[]) => sum(xs) / Math.max(1, xs.length);
  return {
    ...f,
    perSecond: {
      median: median(counts),
      min: counts.length ? Math.min(...counts) : 0,
      max: counts.length ? Math.max(...counts) : 0,
    },
    halves: mean(counts.slice(half)) / mean(counts.slice(0, half)),
    retries: await retryWorkflowsSince(b.config, startedAt),
    statusesDrained: drained,
  };
}

/** Meta's 130429 answers by account, from the counters the worker stores. */
async function refusals(b: Bench, lastSendAt: number): Promise<Map<string, number>> {
  await sleep(Math.max(0, lastSendAt + COUNTER_FLUSH_MS + 1_000 - Date.now()));
  const out = new Map<string, number>();
  for (const c of await b.store.counters.list()) {
    if (c.name !== 'waflow_meta_errors_total' || c.labels.code !== '130429') continue;
    const id = c.labels.account_id ?? '';
    out.set(id, (out.get(id) ?? 0) + c.value);
  }
  return out;
}

/** Numbers on the simulator with their own cap, each an account of the organization. */
async function numbers(b: Bench, orgId: string, count: number, cap: number, label: string) {
  const sim = b.config.meta.simulator;
  const accounts: AccountDoc[] = [];
  for (let i = 0; i < count; i++) {
    const phoneNumberId = `9${label}${String(i).padStart(13, '0')}`.slice(0, 15);
    const account = await b.store.accounts.create(orgId, {
      name: `bench ${label} ${i}`,
      phoneNumberId,
      wabaId: sandboxWabaId(phoneNumberId),
      accessToken: sim.accessToken,
      appSecret: sim.appSecret,
      verifyToken: randomToken(),
      throughput: cap,
      graphUrl: sim.url,
    });
    accounts.push(account);
  }
  await b.sim.configure({
    throughputPerNumber: Object.fromEntries(accounts.map((a) => [a.phone_number_id, cap])),
  });
  return accounts;
}

async function provision(store: Store, config: Config) {
  const p = await provisionOrganization(store, { name: 'bench' }, accountSettings(config).sandbox);
  const orgId = p.organization.id;
  // High enough that the limiter does all its bookkeeping but never refuses a request.
  const { key } = await store.apiKeys.create(orgId, {
    name: 'bench',
    rateLimit: { per_minute: 100_000_000, per_second: 10_000_000 },
  });
  const account = await store.accounts.get(orgId, p.sandbox_account!.id);
  return { orgId, account: account!, key };
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
}

/** Per phase: its name, its CPU figures, and the messages a second its caps allow. */
type CpuRow = [name: string, cpu: CpuFigures, capRate: number];

function printCpu(phases: CpuRow[]) {
  console.log(
    `\nCPU ms per message accepted by the simulator, by process; busy: share of the ` +
      `${availableParallelism()} cores the benchmark's processes used, and the whole machine ` +
      `(others: the machine's use besides them); at cap: cores all the benchmark's processes ` +
      `would need at the phase's cap`,
  );
  const header = ['', ...PROCESSES, 'total', OTHERS, 'busy', 'machine', 'at cap'];
  console.log(`  ${row(header, 8, 10)}`);
  for (const [name, cpu, capRate] of phases) {
    const cells = PROCESSES.map((p) => fixed(cpu.per[p]!, 3));
    const busy = [cpu.busy, cpu.machineBusy].map((x) => `${fixed(x * 100)}%`);
    const atCap = fixed((cpu.total * capRate) / 1000, 2);
    const totals = [fixed(cpu.total, 3), fixed(cpu.others, 3), ...busy, atCap];
    console.log(`  ${row([name, ...cells, ...totals], 8, 10)}`);
  }
  for (const [name, cpu] of phases) {
    console.log(
      `${name.padEnd(5)} Waflow CPU ms per message (${WAFLOW_PROCESSES.join('+')}): ` +
        fixed(waflowCpu(cpu), 3),
    );
  }
}

function printApi(name: string, f: ApiFigures, rate: number) {
  console.log(
    `${name.padEnd(5)} ${rate}/s open loop: simulator accepted ${fixed(f.rate, 1)}/s ` +
      `(cap ${f.cap}); latency p50 ${fixed(f.p50, 1)} ms, p99 ${fixed(f.p99, 1)} ms, ` +
      `max ${fixed(f.max, 1)} ms; p50 by ${API_LATENCY_SLICES} slices of the window: ` +
      `${f.p50BySlice.map((x) => fixed(x, 1)).join(', ')} ms; ` +
      `${f.sent} answered 200 sent, ${f.queued} 202 queued, ${f.errors} errors`,
  );
  for (const s of f.errorSamples) console.log(`      error: ${s}`);
}

function printBulk(name: string, f: BulkFigures, refused: Map<string, number>) {
  const rates = f.numbers.map((n) => `${fixed(n.rate, 1)}/${n.cap}`).join(', ');
  const peaks = f.numbers.map((n) => n.maxPerSecond).join(', ');
  const refusals = f.numbers.map((n) => refused.get(n.accountId) ?? 0).join(', ');
  console.log(
    `${name.padEnd(5)} steady rate/cap ${rates}; busiest second ${peaks}; 130429 answers ` +
      `${refusals}; enqueued ${grouped(f.enqueuedPerSecond)}/s` +
      (f.left ? `; ${f.left} STILL QUEUED after the drain timeout` : ''),
  );
}

function printStatuses(s: StatusFigures) {
  console.log(
    `      statuses in the steady window: ${grouped(s.postedPerSecond)}/s posted, ` +
      `${grouped(s.acknowledgedPerSecond)}/s processed and acknowledged, ` +
      `${grouped(s.readPerSecond)} messages/s reached read; ${s.acknowledged}/${s.expected} ` +
      `status webhooks acknowledged, ${s.stored} stored for a retry, ${s.read}/${s.sent} ` +
      `messages read; last read ` +
      `${fixed(s.lagMs / 1000, 2)} s after the last send (statuses posted ` +
      `${STATUS_DELAY_MS} ms apart)` +
      (s.drained ? '' : ' (NOT DRAINED within the timeout)'),
  );
}

function printOver(f: OverFigures, refused: Map<string, number>) {
  printBulk('over', f, refused);
  const { median: mid, min, max } = f.perSecond;
  console.log(
    `      all ${OVER_NUMBERS} numbers together: ${grouped(sum(f.numbers.map((n) => n.rate)))}/s ` +
      `steady (offered ${grouped(OVER_NUMBERS * BIG_CAP)}/s), per second median ${grouped(mid)}, ` +
      `min ${grouped(min)}, max ${grouped(max)}; the window's second half ÷ its first ` +
      `${fixed(f.halves, 3)}; ${f.retries} retry workflows started; statuses ` +
      (f.statusesDrained ? 'drained' : 'NOT DRAINED within the timeout'),
  );
}

interface Results {
  api?: ApiFigures;
  calm?: ApiFigures;
  bulk?: BulkFigures;
  /** Another 1,000/s number, without status webhooks: its send path alone. */
  quiet?: BulkFigures;
  big?: BulkFigures & { statuses: StatusFigures };
  over?: OverFigures;
  /** Meta's 130429 answers to the API phases' number. */
  apiRefused: number;
  ledger: ReturnType<Ledger['figures']>;
}

type SummaryRow = [figure: string, value: string, goal: string, met: boolean | null];

const latencies = (f: ApiFigures) => [f.p50, f.p99, f.max].map((x) => fixed(x, 1)).join(' / ');

function apiRows(api: ApiFigures, apiRefused: number): SummaryRow[] {
  const ratio = api.rate / api.cap;
  return [
    [`api: send rate / cap (${API_CAP}/s)`, fixed(ratio, 3), `>= ${RATE_GOAL}`, ratio >= RATE_GOAL],
    [
      'api: latency p50 / p99 / max (ms)',
      latencies(api),
      `p99 < ${P99_GOAL_MS}`,
      api.p99 < P99_GOAL_MS,
    ],
    ['api: 130429 answers (each slows the pace)', String(apiRefused), '-', null],
    [
      'api: 200 sent / 202 queued / errors',
      `${api.sent} / ${api.queued} / ${api.errors}`,
      'errors 0',
      api.errors === 0,
    ],
    ['api: CPU ms per message, all processes', fixed(api.cpu.total, 2), '-', null],
  ];
}

const leftRow = (name: string, f: BulkFigures): SummaryRow => [
  `${name}: not accepted after the drain`,
  String(f.left),
  '0',
  f.left === 0,
];

function summaryRows(r: Results): SummaryRow[] {
  const rows: SummaryRow[] = [];
  if (r.api) rows.push(...apiRows(r.api, r.apiRefused));
  if (r.calm) rows.push(['api/2: latency p50 / p99 / max (ms)', latencies(r.calm), '-', null]);
  if (r.bulk) {
    const worst = Math.min(...r.bulk.numbers.map((n) => n.rate / n.cap));
    rows.push(
      [
        `bulk ${BULK_NUMBERS}x${BULK_CAP}/s: rate / cap, worst`,
        fixed(worst, 3),
        `>= ${RATE_GOAL}`,
        worst >= RATE_GOAL,
      ],
      leftRow('bulk', r.bulk),
    );
  }
  if (r.quiet) {
    const ratio = r.quiet.numbers[0]!.rate / r.quiet.numbers[0]!.cap;
    rows.push(
      [
        `bulk 1x${BIG_CAP}/s (big0): rate / cap`,
        fixed(ratio, 3),
        `>= ${RATE_GOAL}`,
        ratio >= RATE_GOAL,
      ],
      leftRow('big0', r.quiet),
    );
  }
  if (r.big) {
    const ratio = r.big.numbers[0]!.rate / r.big.numbers[0]!.cap;
    const s = r.big.statuses;
    rows.push(
      // With the simulator also posting three status webhooks a message on the same cores, the
      // machine rather than the pipeline sets this pace (see the CPU table).
      [`big 1x${BIG_CAP}/s with statuses: rate / cap`, fixed(ratio, 3), '-', null],
      [
        'big: Waflow CPU ms per message',
        fixed(waflowCpu(r.big.cpu), 3),
        `<= ${WAFLOW_CPU_GOAL_MS}`,
        waflowCpu(r.big.cpu) <= WAFLOW_CPU_GOAL_MS,
      ],
      leftRow('big', r.big),
      [
        'big: statuses processed/s (posted/s)',
        `${grouped(s.acknowledgedPerSecond)} (${grouped(s.postedPerSecond)})`,
        'all that arrive',
        s.acknowledgedPerSecond >= 0.99 * s.postedPerSecond,
      ],
      ['big: last status after last send (s)', fixed(s.lagMs / 1000, 2), '-', null],
    );
  }
  if (r.over) {
    const o = r.over;
    const total = sum(o.numbers.map((n) => n.rate));
    rows.push(
      [
        `over ${OVER_NUMBERS}x${BIG_CAP}/s with statuses: messages/s`,
        `${grouped(total)} (machine ${fixed(o.cpu.machineBusy * 100)}% busy)`,
        '-',
        null,
      ],
      [
        'over: second half ÷ first half of the window',
        fixed(o.halves, 3),
        '>= 0.9',
        o.halves >= 0.9,
      ],
      ['over: retry workflows started', String(o.retries), '0', o.retries === 0],
      leftRow('over', o),
      ['over: statuses drained', o.statusesDrained ? 'yes' : 'no', 'yes', o.statusesDrained],
    );
  }
  const { duplicated, lost, expected } = r.ledger;
  rows.push([
    `duplicates / lost (of ${expected})`,
    `${duplicated.length} / ${lost.length}`,
    '0 / 0',
    !duplicated.length && !lost.length,
  ]);
  return rows;
}

function printSummary(r: Results, command: string) {
  console.log(`\nSummary`);
  console.log(`  ${row(['figure', 'value', 'goal', 'met'], 40, 24)}`);
  for (const [figure, value, goal, met] of summaryRows(r)) {
    const mark = met === null ? '' : met ? 'yes' : 'NO';
    console.log(`  ${row([figure, value, goal, mark], 40, 24)}`);
  }
  console.log(`\nCommand: ${command}`);
}

function printLedger(l: Results['ledger']) {
  for (const [id, n] of l.duplicated.slice(0, 5)) console.log(`  duplicate: ${id} accepted ${n}×`);
  for (const id of l.lost.slice(0, 5)) console.log(`  lost: ${id} never accepted`);
  if (l.unknown.length) {
    console.log(`  ${l.unknown.length} accepted sends of messages no answer named (API errors)`);
  }
}

interface Options {
  duration: number;
  rate: number;
  drainMs: number;
  only: Phase[];
  profile: string | null;
}

function options(argv: string[]): Options {
  const flags = parseFlags(argv, {
    duration: '20',
    rate: String(Math.floor(API_CAP * 0.9)),
    'drain-timeout': '60',
    only: PHASES.join(','),
    profile: '',
  });
  const only = flags.only.split(',').map((p) => p.trim());
  const unknown = only.filter((p) => !(PHASES as readonly string[]).includes(p));
  if (unknown.length) {
    throw new UsageError(`--only: unknown phase ${unknown.join(', ')} (${PHASES.join(', ')})`);
  }
  return {
    duration: positiveInt(flags.duration, '--duration'),
    rate: positiveInt(flags.rate, '--rate'),
    drainMs: positiveInt(flags['drain-timeout'], '--drain-timeout') * 1000,
    only: only as Phase[],
    profile: flags.profile ? resolve(flags.profile) : null,
  };
}

/** Every server in its own process, the organization, its numbers and synced templates. */
async function setUp(resources: Resources, o: Options) {
  const simUrl = loopbackUrl(await freePort());
  const infra = await startInfrastructure(resources, {
    temporal: true,
    store: 'postgres',
    env: { SANDBOX_MODE: 'true', META_SIMULATOR_URL: simUrl, LOG_LEVEL: 'warn' },
    profile: o.profile !== null,
  });
  const { env, config, tmp, servers, probe } = infra;
  const cpuProf = o.profile ? ['--cpu-prof', `--cpu-prof-dir=${o.profile}`] : [];
  const { accessToken, appSecret } = config.meta.simulator;
  const simProcess = await forkServer<{ port: number }>(
    resources,
    'Meta simulator',
    __filename,
    ['serve', 'simulator'],
    { port: Number(new URL(simUrl).port), accessToken, appSecret } satisfies SimRequest,
    { execArgv: cpuProf },
  );
  const sql = sqlPool(resources, config);
  const database = await openStore(config, 'bench');
  resources.add(() => database.close());
  const { store, signals } = database;
  const { orgId, account, key } = await provision(store, config);

  const { worker, api } = await launchWorkerAndApi(resources, __filename, {
    config,
    env,
    dir: tmp,
    profile: o.profile,
  });
  const apiUrl = loopbackUrl(api.port);
  await syncTemplates(apiUrl, key, worker.exited);
  const sim = simControl(simUrl, SIM_CALL_TIMEOUT_MS);
  await sim.configure({ webhookUrl: `${apiUrl}/api/webhooks/meta` });
  const meter = new CpuMeter({
    ...servers,
    worker: worker.pid,
    api: api.pid,
    simulator: simProcess.pid,
    'load gen': process.pid,
  });
  const ledger = new Ledger();
  const { drainMs } = o;
  const profiler = o.profile ? await PhaseProfiler.create(sql, infra.temporalMetricsUrl) : null;
  const b: Bench = {
    config,
    store,
    signals,
    sql,
    probe,
    sim,
    meter,
    ledger,
    apiUrl,
    apiKey: key,
    drainMs,
    profiler,
  };
  const bulkAccounts = await numbers(b, orgId, BULK_NUMBERS, BULK_CAP, '1');
  const [quietAccount, bigAccount] = await numbers(b, orgId, 2, BIG_CAP, '2');
  const overAccounts = await numbers(b, orgId, OVER_NUMBERS, BIG_CAP, '3');
  return {
    b,
    account,
    bulkAccounts,
    quietAccount: quietAccount!,
    bigAccount: bigAccount!,
    overAccounts,
    workerLog: worker.log,
  };
}

type Setup = Awaited<ReturnType<typeof setUp>>;

/** Runs a phase between the profiler's readings, when profiling. */
async function profiled<T>(b: Bench, phase: Phase, run: () => Promise<T>, count: (r: T) => number) {
  await b.profiler?.begin();
  const result = await run();
  await b.profiler?.end(phase, count(result));
  return result;
}

const accepted = (f: BulkFigures) => sum(f.numbers.map((n) => n.total));

/** The chosen phases one after the other, each line printed as its phase ends. */
async function runPhases(s: Setup, o: Options): Promise<Results> {
  const { b, account } = s;
  const want = (p: Phase) => o.only.includes(p);
  const inWindow = (f: ApiFigures) => Math.round(f.rate * o.duration);
  const r: Results = { apiRefused: 0, ledger: b.ledger.figures() };
  if (want('api')) {
    r.api = await profiled(b, 'api', () => apiPhase(b, account, o.rate, o.duration), inWindow);
    printApi('api', r.api, o.rate);
  }
  if (want('api/2')) {
    const rate = Math.max(1, Math.floor(o.rate / 2));
    const run = () => apiPhase(b, account, rate, Math.min(o.duration, CALM_SECONDS));
    r.calm = await profiled(b, 'api/2', run, inWindow);
    printApi('api/2', r.calm, rate);
  }
  const short = Math.min(o.duration, CALM_SECONDS);
  if (want('bulk')) {
    const run = () => bulkPhase(b, s.bulkAccounts, BULK_CAP, o.duration);
    r.bulk = await profiled(b, 'bulk', run, accepted);
  }
  if (want('big0')) {
    const run = () => bulkPhase(b, [s.quietAccount], BIG_CAP, short);
    r.quiet = await profiled(b, 'big0', run, accepted);
  }
  if (want('big'))
    r.big = await profiled(b, 'big', () => bigPhase(b, s.bigAccount, o.duration), accepted);
  if (want('over')) {
    const run = () => overPhase(b, s.overAccounts, short);
    r.over = await profiled(b, 'over', run, accepted);
  }
  const last = [r.over, r.big, r.quiet, r.bulk].find((f) => f)?.window.to ?? Date.now();
  const refused = await refusals(b, last);
  if (r.bulk) printBulk('bulk', r.bulk, refused);
  if (r.quiet) printBulk('big0', r.quiet, refused);
  if (r.big) {
    printBulk('big', r.big, refused);
    printStatuses(r.big.statuses);
  }
  if (r.over) printOver(r.over, refused);
  r.apiRefused = refused.get(account._id) ?? 0;
  if (r.api || r.calm) console.log(`api   130429 answers in both api phases: ${r.apiRefused}`);
  r.ledger = b.ledger.figures();
  return r;
}

async function main(argv: string[], resources: Resources): Promise<number> {
  const o = options(argv);
  const setup = await setUp(resources, o);
  console.log(
    `Template ${TEMPLATE} (${BODY_PARAMETERS.length} body parameters), a new recipient per ` +
      `message; ${o.duration} s per phase (api/2, big0 and over: ${Math.min(o.duration, CALM_SECONDS)} ` +
      `s) on ${availableParallelism()} cores; status webhooks only in the big and over phases.\n`,
  );
  const r = await runPhases(setup, o);
  const rows: CpuRow[] = [];
  if (r.api) rows.push(['api', r.api.cpu, API_CAP]);
  if (r.calm) rows.push(['api/2', r.calm.cpu, API_CAP]);
  if (r.bulk) rows.push(['bulk', r.bulk.cpu, BULK_NUMBERS * BULK_CAP]);
  if (r.quiet) rows.push(['big0', r.quiet.cpu, BIG_CAP]);
  if (r.big) rows.push(['big', r.big.cpu, BIG_CAP]);
  if (r.over) rows.push(['over', r.over.cpu, OVER_NUMBERS * BIG_CAP]);
  printCpu(rows);
  printLedger(r.ledger);
  printSummary(r, ['node dist/bench/send.js', ...argv].join(' '));
  if (o.profile) {
    console.log(
      `\nCPU profiles of the API, the worker and the simulator, written as they stop: ` +
        `node dist/bench/cpu-profile.js ${o.profile}`,
    );
  }
  const broken = r.ledger.duplicated.length + r.ledger.lost.length + (r.api?.errors ?? 0) > 0;
  if (broken) console.log(`\nWorker log (last lines):\n${tail(setup.workerLog)}`);
  return broken ? 1 : 0;
}

benchEntry(USAGE, main);

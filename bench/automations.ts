import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import type pg from 'pg';
import { Agent, request } from 'undici';
import type { EffectStep, StepScope } from '../automations/effects';
import { stepKey } from '../automations/effects/scope';
import { runIdFor } from '../automations/engine';
import { randomToken } from '../lib/crypto';
import { sandboxWabaId } from '../lib/sandbox-ids';
import { freePort } from '../scripts/infra';
import { provisionOrganization } from '../scripts/provision';
import { signBody } from '../sim/meta';
import { inboundPayload, type InboundInput } from '../sim/meta/inbound';
import type { PhoneNumber } from '../sim/meta/state';
import type { SendLogEntry } from '../sim/meta/types';
import { openStore } from '../store';
import { accountSettings } from '../store/accounts';
import { AUTOMATION_WORKFLOW } from '../workflows/contracts/automation';
import { PhaseProfiler } from './profile';
import { benchEntry, type SimRequest } from './servers';
import { simControl, type SimControl } from './sim-control';
import {
  CpuMeter,
  cpuPerMessage,
  fixed,
  forkServer,
  grouped,
  launchWorkerAndApi,
  loopbackUrl,
  openLoop,
  parseFlags,
  percentile,
  positiveInt,
  readCpu,
  rssBytes,
  sqlPool,
  startInfrastructure,
  sum,
  tail,
  UsageError,
  type CpuFigures,
  type Resources,
} from './support';

const USAGE = `Usage: node dist/bench/automations.js [--duration <s>] [--rate <n>] [--contacts <n>]
       [--waiting <n>] [--arm-rate <n>] [--reply-rate <n>] [--drain-timeout <s>]
       [--only <phase>[,<phase>...]] [--profile <folder>]

Automations under load, every server in its own process (PostgreSQL, Temporal, the API, the
worker, the Meta simulator, and this load generator), customers' messages posted as Meta's
signed webhooks to POST /api/webhooks/meta, open loop, and the automations' messages read off
the simulator's send log. First every contact the phases use writes once (no automation
matches): the contacts exist, the processes are warm. Then:
  reply     --rate messages/s (default 200) for --duration s (default 30), from --contacts
            contacts in turn (default 2,000), each the keyword of an automation whose one step
            sends a text: the time from the webhook's acknowledgement to the reply reaching the
            simulator (goal: p99 < 500 ms), runs vs messages, CPU per run by process. Then the
            same load with that automation disabled (PUT): the CPU of the rest of the path
  workflow  the same load on an automation that first waits the shortest delay the API
            accepts, so that every run goes through its timer workflow: the same figures, and
            the ratio to reply's
  waiting   --waiting contacts (default 10,000) send, at --arm-rate/s (default 500), the
            keyword of an automation that asks a question (buttons) and waits a day for the
            answer: the time until all wait (by SQL) and their timers run (Temporal), worker
            and Temporal RSS before and after, CPU per armed wait
  routed    the waiting contacts tap a button, at --reply-rate/s (default 1,000): the rate,
            ack-to-reply latency, CPU per reply, and that each waiting run answered once
            (runs waiting first)
--only runs the named phases. --drain-timeout (default 900) bounds each wait for the replies;
a wait also ends when nothing moved for 15 s.
--profile writes the API's and the worker's CPU profiles (node --cpu-prof) into the folder, for
\`node dist/bench/cpu-profile.js <folder>\`, and prints each phase's PostgreSQL statements by
time and the Temporal server's requests by operation. Exit 1 when a message was answered more
or less than once.`;

const PHASES = ['reply', 'workflow', 'waiting', 'routed'] as const;
type Phase = (typeof PHASES)[number];

/** The business number the customers write to: far above any phase's rate. */
const CAP = 2_000;
const PHONE_NUMBER_ID = '930000000000001';
const P99_GOAL_MS = 500;
/** The wait_for_reply's timeout: none of them times out during the benchmark. */
const WAIT_TIMEOUT = '1d';
const POLL_MS = 500;
/** Replies stop coming for this long: what is missing will not come. */
const STALL_MS = 15_000;
/** Let the worker and Temporal settle (caches, the GC) before reading their RSS. */
const SETTLE_MS = 10_000;
const SIM_CALL_TIMEOUT_MS = 60_000;
/** The processes whose CPU a run costs; the load generator is reported apart. */
const PROCESSES = ['api', 'worker', 'postgres', 'temporal', 'simulator'];
const LOAD_GEN = 'load gen';
const MB = 1024 * 1024;
const SLICES = 4;

/** Contact i's number: valid (exchange 300 and up), one per contact. */
const phoneOf = (i: number) => `+1415${String(3_000_000 + i)}`;

interface Options {
  duration: number;
  rate: number;
  contacts: number;
  waiting: number;
  armRate: number;
  replyRate: number;
  drainMs: number;
  only: Phase[];
  profile: string | null;
}

function options(argv: string[]): Options {
  const f = parseFlags(argv, {
    duration: '30',
    rate: '200',
    contacts: '2000',
    waiting: '10000',
    'arm-rate': '500',
    'reply-rate': '1000',
    'drain-timeout': '900',
    only: PHASES.join(','),
    profile: '',
  });
  const only = f.only.split(',').map((p) => p.trim());
  const unknown = only.filter((p) => !(PHASES as readonly string[]).includes(p));
  if (unknown.length) {
    throw new UsageError(`--only: unknown phase ${unknown.join(', ')} (${PHASES.join(', ')})`);
  }
  // The replies go to the runs that phase leaves waiting.
  if (only.includes('routed') && !only.includes('waiting')) only.push('waiting');
  return {
    duration: positiveInt(f.duration, '--duration'),
    rate: positiveInt(f.rate, '--rate'),
    contacts: positiveInt(f.contacts, '--contacts'),
    waiting: positiveInt(f.waiting, '--waiting'),
    armRate: positiveInt(f['arm-rate'], '--arm-rate'),
    replyRate: positiveInt(f['reply-rate'], '--reply-rate'),
    drainMs: positiveInt(f['drain-timeout'], '--drain-timeout') * 1000,
    only: PHASES.filter((p) => only.includes(p)),
    profile: f.profile ? resolve(f.profile) : null,
  };
}

/** Everything the phases share. */
interface Bench {
  sql: pg.Pool;
  sim: SimControl;
  meter: CpuMeter;
  temporal: Client;
  apiUrl: string;
  apiKey: string;
  accountId: string;
  number: PhoneNumber;
  appSecret: string;
  pids: { worker: number; temporal: number | null };
  drainMs: number;
  profiler: PhaseProfiler | null;
}

/** A signed webhook of one customer message, and who sent it. */
interface Webhook {
  body: string;
  signature: string;
  wamid: string;
  /** The sender's WhatsApp id: the simulator's `recipient` of what is sent back. */
  waId: string;
}

type Says = { text: string } | { button: string };

function webhook(b: Bench, contact: number, says: Says): Webhook {
  const input: InboundInput =
    'text' in says
      ? { phone_number_id: b.number.id, from: phoneOf(contact), text: says.text }
      : {
          phone_number_id: b.number.id,
          from: phoneOf(contact),
          type: 'interactive',
          interactive: {
            type: 'button_reply',
            button_reply: { id: says.button, title: says.button },
          },
        };
  const { payload, wamid, waId } = inboundPayload(b.number, input, Date.now());
  const body = JSON.stringify(payload);
  return { body, signature: signBody(body, b.appSecret), wamid, waId };
}

/** The id of the message a run's step queues (automations/effects/scope.ts). */
const messageIdOf = (runId: string, stepId: string) =>
  stepKey({ run: { _id: runId } } as StepScope, { id: stepId } as EffectStep);

/** The reply a message starting a run of `automationId` gets from its step `stepId`. */
const startedReplyId = (automationId: string, w: Webhook, stepId: string) =>
  messageIdOf(runIdFor(automationId, `message.incoming:${w.wamid}`), stepId);

interface Ack {
  ok: boolean;
  /** Epoch ms of the 200. */
  at: number;
  /** From when the post was due. */
  ms: number;
  detail: string;
}

async function post(b: Bench, agent: Agent, w: Webhook, due: number): Promise<Ack> {
  try {
    const res = await request(`${b.apiUrl}/api/webhooks/meta`, {
      method: 'POST',
      dispatcher: agent,
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': w.signature },
      body: w.body,
    });
    const text = await res.body.text();
    const at = Date.now();
    return { ok: res.statusCode === 200, at, ms: performance.now() - due, detail: text };
  } catch (err) {
    return { ok: false, at: Date.now(), ms: performance.now() - due, detail: String(err) };
  }
}

interface Offered {
  acks: Ack[];
  /** Acknowledged a second, from the first post due to the last answer. */
  ackRate: number;
  ackP50: number;
  ackP99: number;
  failed: number;
  failures: string[];
}

/** Posts the webhooks `rate` a second, evenly spaced, and waits for every answer. */
async function offer(b: Bench, rate: number, hooks: Webhook[]): Promise<Offered> {
  const agent = new Agent({ keepAliveTimeout: 60_000 });
  const pending: Promise<Ack>[] = [];
  const started = performance.now();
  await openLoop(rate, hooks.length, (n, due) => pending.push(post(b, agent, hooks[n]!, due)));
  const acks = await Promise.all(pending);
  const elapsed = (performance.now() - started) / 1000;
  await agent.close();
  const ms = acks.map((a) => a.ms).sort((x, y) => x - y);
  const failed = acks.filter((a) => !a.ok);
  return {
    acks,
    ackRate: acks.filter((a) => a.ok).length / elapsed,
    ackP50: percentile(ms, 0.5),
    ackP99: percentile(ms, 0.99),
    failed: failed.length,
    failures: failed.slice(0, 3).map((a) => a.detail.slice(0, 200)),
  };
}

/** Polls `count` until it reaches `target`, stalls for STALL_MS, or the drain timeout passes. */
async function until(b: Bench, target: number, count: () => Promise<number>) {
  const deadline = Date.now() + b.drainMs;
  let last = -1;
  let movedAt = Date.now();
  for (;;) {
    const n = await count();
    if (n !== last) movedAt = Date.now();
    last = n;
    if (n >= target || Date.now() > deadline || Date.now() - movedAt > STALL_MS) return n;
    await sleep(POLL_MS);
  }
}

const countOf = async (b: Bench, sql: string, params: unknown[] = []) =>
  (await b.sql.query<{ n: number }>(sql, params)).rows[0]!.n;

const runsIn = (b: Bench, automationId: string, state: string) =>
  countOf(
    b,
    'SELECT count(*)::int AS n FROM automation_runs WHERE automation_id = $1 AND state = $2',
    [automationId, state],
  );

const inputsRouted = (b: Bench) =>
  countOf(b, `SELECT count(*)::int AS n FROM automation_inputs WHERE state = 'done'`);

/** Timer workflows running; null when the server cannot count them. */
async function timersRunning(b: Bench): Promise<number | null> {
  try {
    const query = `WorkflowType = '${AUTOMATION_WORKFLOW}' AND ExecutionStatus = 'Running'`;
    return (await b.temporal.workflow.count(query)).count;
  } catch {
    return null;
  }
}

async function api<T>(b: Bench, method: string, path: string, body?: unknown) {
  const res = await fetch(`${b.apiUrl}${path}`, {
    method,
    headers: { 'x-api-key': b.apiKey, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await res.text();
  return { status: res.status, text, data: res.ok ? (JSON.parse(text) as { data: T }).data : null };
}

async function createAutomation(b: Bench, body: Record<string, unknown>): Promise<string> {
  const res = await api<{ id: string }>(b, 'POST', '/api/automations', {
    whatsapp_account: b.accountId,
    ...body,
  });
  if (!res.data) throw new Error(`POST /api/automations answered ${res.status}: ${res.text}`);
  return res.data.id;
}

/** Where the replies went: by message id (exact), and by contact. */
interface Ledger {
  /** Expected replies the simulator accepted once, more than once, never. */
  once: number;
  duplicated: number;
  missing: number;
  /** Accepted sends no message asked for. */
  unexpected: number;
  /** Contacts answered more, or fewer, times than they wrote. */
  contactsOver: number;
  contactsUnder: number;
}

const quantiles = (values: number[]): [number, number] => {
  const sorted = values.filter(Number.isFinite).sort((x, y) => x - y);
  return [percentile(sorted, 0.5), percentile(sorted, 0.99)];
};

interface Replies {
  /** Ack to the reply's arrival at the simulator, ms, of the messages answered. */
  p50: number;
  p95: number;
  p99: number;
  max: number;
  /** p50 of each successive slice of the messages, in the order posted: growth is queueing. */
  p50BySlice: number[];
  /** From when the webhook was due to be posted (its wait for the 200 included), p50 / p99. */
  fromPost: [p50: number, p99: number];
  /** Replies a second at the simulator, first to last. */
  rate: number;
  ledger: Ledger;
}

/**
 * Matches each message's reply (`expected[i]`, the id of what its run sends) in the
 * simulator's log with its webhook's acknowledgement.
 */
function replies(
  hooks: Webhook[],
  acks: Ack[],
  expected: string[],
  sends: SendLogEntry[],
): Replies {
  const byId = new Map<string, SendLogEntry[]>();
  for (const s of sends) {
    const id = s.biz_opaque_callback_data ?? `(none) ${s.wamid}`;
    byId.set(id, [...(byId.get(id) ?? []), s]);
  }
  const inOrder = expected.map((id, i) => {
    const first = byId.get(id)?.[0];
    return first && acks[i]!.ok ? Date.parse(first.time) - acks[i]!.at : NaN;
  });
  const answeredMs = (list: number[]) => list.filter(Number.isFinite).sort((x, y) => x - y);
  const ms = answeredMs(inOrder);
  const size = Math.ceil(inOrder.length / SLICES);
  const p50BySlice = Array.from({ length: SLICES }, (_, k) =>
    percentile(answeredMs(inOrder.slice(k * size, (k + 1) * size)), 0.5),
  );
  const fromPost = quantiles(
    expected.map((id, i) => {
      const first = byId.get(id)?.[0];
      return first ? Date.parse(first.time) - (acks[i]!.at - acks[i]!.ms) : NaN;
    }),
  );
  const wanted = new Set(expected);
  const written = new Map<string, number>();
  for (const w of hooks) written.set(w.waId, (written.get(w.waId) ?? 0) + 1);
  const answered = new Map<string, number>();
  for (const s of sends) answered.set(s.recipient, (answered.get(s.recipient) ?? 0) + 1);
  const times = sends.map((s) => Date.parse(s.time)).sort((x, y) => x - y);
  const span = (times[times.length - 1]! - times[0]!) / 1000;
  return {
    p50: percentile(ms, 0.5),
    p95: percentile(ms, 0.95),
    p99: percentile(ms, 0.99),
    max: ms[ms.length - 1] ?? NaN,
    p50BySlice,
    fromPost,
    rate: span > 0 ? (times.length - 1) / span : NaN,
    ledger: {
      once: expected.filter((id) => byId.get(id)?.length === 1).length,
      duplicated: expected.filter((id) => (byId.get(id)?.length ?? 0) > 1).length,
      missing: expected.filter((id) => !byId.has(id)).length,
      unexpected: [...byId.keys()].filter((id) => !wanted.has(id)).length,
      contactsOver: [...written].filter(([c, n]) => (answered.get(c) ?? 0) > n).length,
      contactsUnder: [...written].filter(([c, n]) => (answered.get(c) ?? 0) < n).length,
    },
  };
}

const broken = (l: Ledger) => l.duplicated + l.missing + l.unexpected > 0;

/** Percentiles, ms, of where a reply's time went. */
interface Stages {
  /** The 200 to the routing decision recorded (automation_inputs.created_at). */
  decided: [p50: number, p99: number];
  /** The 200 to the reply queued by its run (messages.created_at). */
  queued: [p50: number, p99: number];
  /** Queued to accepted by the simulator (its send log). */
  sent: [p50: number, p99: number];
}

/** Each message's routing decision and reply as stamped in the store, against its 200. */
async function stages(
  b: Bench,
  hooks: Webhook[],
  acks: Ack[],
  expected: string[],
  sends: SendLogEntry[],
): Promise<Stages> {
  const stamps = async (table: string, ids: string[]) => {
    const { rows } = await b.sql.query<{ id: string; at: Date }>(
      `SELECT id, created_at AS at FROM ${table} WHERE id = ANY($1)`,
      [ids],
    );
    return new Map(rows.map((r) => [r.id, r.at.getTime()]));
  };
  const decided = await stamps(
    'automation_inputs',
    hooks.map((w) => `message.incoming:${w.wamid}`),
  );
  const queued = await stamps('messages', expected);
  const accepted = new Map(sends.map((s) => [s.biz_opaque_callback_data, Date.parse(s.time)]));
  const at = (i: number) => (acks[i]!.ok ? acks[i]!.at : NaN);
  const inputOf = (i: number) => `message.incoming:${hooks[i]!.wamid}`;
  const nan = (x: number | undefined) => x ?? NaN;
  return {
    decided: quantiles(hooks.map((_, i) => nan(decided.get(inputOf(i))) - at(i))),
    queued: quantiles(expected.map((id, i) => nan(queued.get(id)) - at(i))),
    sent: quantiles(expected.map((id) => nan(accepted.get(id)) - nan(queued.get(id)))),
  };
}

/** The phase's routing decisions (automation_inputs), by kind and reason. */
async function decisions(b: Bench, hooks: Webhook[]): Promise<string> {
  const { rows } = await b.sql.query<{ kind: string; reason: string | null; n: number }>(
    `SELECT decision->>'kind' AS kind, decision->>'reason' AS reason, count(*)::int AS n
       FROM automation_inputs WHERE id = ANY($1) GROUP BY 1, 2 ORDER BY 3 DESC`,
    [hooks.map((w) => `message.incoming:${w.wamid}`)],
  );
  const routed = sum(rows.map((r) => r.n));
  const kinds = rows.map(
    (r) =>
      `${grouped(r.n)} ${r.kind}` +
      (r.reason ? ` (${r.reason.replace(/automation \S+ /, 'the automation ')})` : ''),
  );
  const unrouted = hooks.length - routed;
  return kinds.join(', ') + (unrouted ? `, ${grouped(unrouted)} NOT ROUTED` : '');
}

interface LoadFigures {
  offered: Offered;
  decisions: string;
  replies: Replies;
  stages: Stages;
  cpu: CpuFigures;
  loadGen: number;
  count: number;
}

/**
 * One load: the webhooks posted at `rate`, then until `done` says all is through; the CPU of
 * both, per message.
 */
async function load(
  b: Bench,
  phase: string,
  rate: number,
  hooks: Webhook[],
  expected: string[],
  done: () => Promise<unknown>,
): Promise<LoadFigures> {
  await b.profiler?.begin();
  const before = readCpu(b.meter);
  const started = performance.now();
  const offered = await offer(b, rate, hooks);
  await done();
  const cpu = CpuMeter.diff(before, readCpu(b.meter));
  const wallMs = performance.now() - started;
  await b.profiler?.end(phase, hooks.length);
  const sends = await b.sim.takeSends();
  const count = Math.max(1, hooks.length);
  return {
    offered,
    replies: replies(hooks, offered.acks, expected, sends),
    stages: await stages(b, hooks, offered.acks, expected, sends),
    decisions: await decisions(b, hooks),
    cpu: cpuPerMessage(PROCESSES, cpu, count, wallMs),
    loadGen: ((cpu[LOAD_GEN] ?? 0) * 1000) / count,
    count,
  };
}

/** Until the simulator has `n` sends (or they stop coming). */
const sendsReach = (b: Bench, n: number) => until(b, n, () => b.sim.sendCount());

function printOffered(rate: number, o: Offered) {
  console.log(
    `  offered ${rate}/s, acknowledged ${fixed(o.ackRate, 1)}/s (${o.acks.length - o.failed} ` +
      `of ${o.acks.length}); the 200's latency p50 ${fixed(o.ackP50, 1)} ms, p99 ` +
      `${fixed(o.ackP99, 1)} ms`,
  );
  for (const f of o.failures) console.log(`    not acknowledged: ${f}`);
}

function printReplies(r: Replies, less = 0) {
  const lat = [r.p50, r.p95, r.p99, r.max].map((x) => fixed(x - less)).join(' / ');
  console.log(
    `  ack → reply at the simulator p50 / p95 / p99 / max: ${lat} ms` +
      (less ? ` (beyond the ${less} ms delay)` : '') +
      `; p50 by ${SLICES} slices in posting order ` +
      `${r.p50BySlice.map((x) => fixed(x - less)).join(', ')} ms; replies ${fixed(r.rate, 1)}/s`,
  );
  if (!less) {
    console.log(
      `  post → reply (from when the webhook was due, its wait for the 200 included) p50 / ` +
        `p99: ${fixed(r.fromPost[0])} / ${fixed(r.fromPost[1])} ms`,
    );
  }
}

function printStages(s: Stages) {
  const pair = ([p50, p99]: [number, number]) => `${fixed(p50)} / ${fixed(p99)}`;
  console.log(
    `  where the time goes, p50 / p99: 200 → routing decision recorded ${pair(s.decided)} ms, ` +
      `200 → reply queued by the run ${pair(s.queued)} ms, queued → simulator ` +
      `${pair(s.sent)} ms`,
  );
}

function printLedger(l: Ledger, what: string, of: number) {
  console.log(
    `  ${what}: ${grouped(l.once)} of ${grouped(of)} answered exactly once, ${l.duplicated} ` +
      `more than once, ${l.missing} never; ${l.unexpected} sends no message asked for; by ` +
      `contact (simulator's log): ${l.contactsOver} answered more often than they wrote, ` +
      `${l.contactsUnder} less`,
  );
}

function printCpu(label: string, f: Pick<LoadFigures, 'cpu' | 'loadGen'>) {
  const parts = PROCESSES.map((p) => `${p} ${fixed(f.cpu.per[p]!, 3)}`).join(', ');
  console.log(
    `  CPU ms per ${label}: ${parts}; sum ${fixed(f.cpu.total, 3)} (load generator ` +
      `${fixed(f.loadGen, 3)}, other work on the machine ${fixed(f.cpu.others, 3)}; the ` +
      `benchmark's processes kept ${fixed(f.cpu.busy * 100)}% of the ${availableParallelism()} ` +
      `cores busy)`,
  );
}

/** What the keyword phases post: `count` messages from the contacts in turn. */
function keywordLoad(b: Bench, o: Options, text: string) {
  return Array.from({ length: o.rate * o.duration }, (_, n) =>
    webhook(b, n % o.contacts, { text }),
  );
}

/** Every contact the phases use writes once, so that they exist and the processes are warm. */
async function warmUp(b: Bench, o: Options) {
  const want = (p: Phase) => o.only.includes(p);
  const contacts = Math.max(
    want('reply') || want('workflow') ? o.contacts : 0,
    want('waiting') ? o.waiting : 0,
  );
  const hooks = Array.from({ length: contacts }, (_, i) => webhook(b, i, { text: 'hello' }));
  const routed = await inputsRouted(b);
  const started = performance.now();
  const offered = await offer(b, Math.max(o.rate, o.replyRate), hooks);
  const n = await until(b, routed + contacts, () => inputsRouted(b));
  console.log(
    `warm-up: ${grouped(contacts)} contacts wrote once (no automation matched), acknowledged ` +
      `${fixed(offered.ackRate, 1)}/s, all routed in ${fixed((performance.now() - started) / 1000, 1)} s` +
      (n < routed + contacts ? ` (ONLY ${grouped(n - routed)})` : '') +
      '\n',
  );
}

const replyAutomation = {
  name: 'Bench price reply',
  trigger: { type: 'keyword', keywords: ['price'] },
  steps: [
    {
      id: 'reply',
      type: 'send_message',
      message: { type: 'text', text: 'Hi {{name | there}}, our prices: example.com/prices' },
    },
  ],
};

interface ReplyResults {
  figures: LoadFigures;
  baseline: LoadFigures;
}

async function replyPhase(b: Bench, o: Options): Promise<ReplyResults & { broken: boolean }> {
  const id = await createAutomation(b, replyAutomation);
  const hooks = keywordLoad(b, o, 'price');
  const expected = hooks.map((w) => startedReplyId(id, w, 'reply'));
  const figures = await load(b, 'reply', o.rate, hooks, expected, () =>
    sendsReach(b, hooks.length),
  );
  const completed = await runsIn(b, id, 'completed');
  console.log(
    `reply: ${grouped(hooks.length)} messages from ${grouped(Math.min(o.contacts, hooks.length))} ` +
      `contacts over ${o.duration} s, each the keyword of an automation that replies with a text`,
  );
  printOffered(o.rate, figures.offered);
  printReplies(figures.replies);
  printStages(figures.stages);
  const met = figures.replies.p99 < P99_GOAL_MS ? 'met' : 'NOT met';
  console.log(`  goal p99 < ${P99_GOAL_MS} ms: ${met}`);
  console.log(`  runs completed: ${grouped(completed)} of ${grouped(hooks.length)} messages`);
  console.log(`  routing decisions: ${figures.decisions}`);
  printLedger(figures.replies.ledger, 'replies', hooks.length);
  printCpu('run', figures);

  const disabled = await api(b, 'PUT', `/api/automations/${id}`, {
    ...replyAutomation,
    whatsapp_account: b.accountId,
    enabled: false,
  });
  if (disabled.status !== 200) throw new Error(`PUT answered ${disabled.status}: ${disabled.text}`);
  const again = keywordLoad(b, o, 'price');
  const routed = await inputsRouted(b);
  const baseline = await load(b, 'baseline', o.rate, again, [], () =>
    until(b, routed + again.length, () => inputsRouted(b)),
  );
  console.log(`baseline: the same load with the automation disabled (PUT enabled: false)`);
  printOffered(o.rate, baseline.offered);
  const sent = baseline.replies.ledger.unexpected;
  console.log(`  routing decisions: ${baseline.decisions}; ${sent} sends at the simulator`);
  printCpu('message', baseline);
  const alone = PROCESSES.map(
    (p) => `${p} ${fixed(figures.cpu.per[p]! - baseline.cpu.per[p]!, 3)}`,
  ).join(', ');
  console.log(
    `  the automation alone (reply − baseline), CPU ms per run: ${alone}; sum ` +
      `${fixed(figures.cpu.total - baseline.cpu.total, 3)}\n`,
  );
  return { figures, baseline, broken: broken(figures.replies.ledger) || sent > 0 };
}

/** The delay the API refuses (0) and the shortest it takes. */
const ZERO_DELAY = '0s';
const SHORTEST_DELAY = '1s';
const SHORTEST_DELAY_MS = 1_000;

const delayAutomation = (duration: string) => ({
  name: 'Bench delayed reply',
  trigger: { type: 'keyword', keywords: ['status'] },
  steps: [
    { id: 'pause', type: 'delay', duration },
    {
      id: 'reply',
      type: 'send_message',
      message: { type: 'text', text: 'Hi {{name | there}}, your order is on its way' },
    },
  ],
});

async function workflowPhase(b: Bench, o: Options, reply: ReplyResults | null) {
  const zero = await api(b, 'POST', '/api/automations', {
    whatsapp_account: b.accountId,
    ...delayAutomation(ZERO_DELAY),
  });
  const refused =
    zero.status === 201 ? null : `${zero.status} ${JSON.parse(zero.text).message ?? zero.text}`;
  const delay = refused ? SHORTEST_DELAY : ZERO_DELAY;
  const id =
    refused === null
      ? (JSON.parse(zero.text) as { data: { id: string } }).data.id
      : await createAutomation(b, delayAutomation(delay));
  const hooks = keywordLoad(b, o, 'status');
  const expected = hooks.map((w) => startedReplyId(id, w, 'reply'));
  const figures = await load(b, 'workflow', o.rate, hooks, expected, async () => {
    await sendsReach(b, hooks.length);
    // A run's workflow ends after its reply is queued: its last tasks count too (until counts
    // up to its target: the workflows still running, negated, reach 0).
    await until(b, 0, async () => -((await timersRunning(b)) ?? 0));
  });
  const completed = await runsIn(b, id, 'completed');
  console.log(
    `workflow: the same load, each run first waiting ${delay} (delay step), so through its ` +
      `timer workflow automation:<id>:<contact>` +
      (refused ? `; a ${ZERO_DELAY} delay was refused: ${refused}` : ''),
  );
  printOffered(o.rate, figures.offered);
  const delayMs = refused ? SHORTEST_DELAY_MS : 0;
  printReplies(figures.replies);
  printStages(figures.stages);
  if (delayMs) printReplies(figures.replies, delayMs);
  console.log(`  runs completed: ${grouped(completed)} of ${grouped(hooks.length)} messages`);
  console.log(`  routing decisions: ${figures.decisions}`);
  printLedger(figures.replies.ledger, 'replies', hooks.length);
  printCpu('message', figures);
  // Messages that found the contact's run still going started none: the CPU is the runs'.
  const perRun = hooks.length / Math.max(1, completed);
  const total = figures.cpu.total * perRun;
  const temporal = figures.cpu.per.temporal! * perRun;
  console.log(
    `  CPU ms per completed run: ${fixed(total, 3)}, of which Temporal ${fixed(temporal, 3)}`,
  );
  if (reply) {
    const base = reply.baseline.cpu.total;
    const own = total - base * perRun;
    console.log(
      `  against reply: CPU per run ×${fixed(total / reply.figures.cpu.total, 2)} ` +
        `(the automation's own part, less the baseline: ` +
        `×${fixed(own / (reply.figures.cpu.total - base), 2)}); Temporal ` +
        `${fixed(temporal, 3)} ms per run against ${fixed(reply.figures.cpu.per.temporal!, 3)}`,
    );
  }
  console.log('');
  return broken(figures.replies.ledger);
}

const questionAutomation = {
  name: 'Bench delivery survey',
  trigger: { type: 'keyword', keywords: ['survey'] },
  steps: [
    {
      id: 'ask',
      type: 'send_message',
      message: {
        type: 'interactive',
        interactive: {
          type: 'button',
          body: { text: 'Did your order arrive?' },
          action: {
            buttons: [
              { type: 'reply', reply: { id: 'yes', title: 'Yes' } },
              { type: 'reply', reply: { id: 'no', title: 'No' } },
            ],
          },
        },
      },
    },
    {
      id: 'answer',
      type: 'wait_for_reply',
      timeout: WAIT_TIMEOUT,
      branches: [
        { match: { button: 'yes' }, next: 'thanks' },
        { match: { button: 'no' }, next: 'sorry' },
      ],
      otherwise: 'sorry',
      on_timeout: null,
    },
    {
      id: 'thanks',
      type: 'send_message',
      next: null,
      message: { type: 'text', text: 'Glad to hear it, {{name | there}}!' },
    },
    {
      id: 'sorry',
      type: 'send_message',
      message: { type: 'text', text: 'Sorry! A person will write to you shortly.' },
    },
  ],
};

const rss = (pid: number | null) => (pid === null ? NaN : (rssBytes(pid) ?? NaN));

async function waitingPhase(b: Bench, o: Options) {
  const id = await createAutomation(b, questionAutomation);
  const hooks = Array.from({ length: o.waiting }, (_, i) => webhook(b, i, { text: 'survey' }));
  const expected = hooks.map((w) => startedReplyId(id, w, 'ask'));
  const timersBefore = (await timersRunning(b)) ?? 0;
  await sleep(2_000);
  const before = { worker: rss(b.pids.worker), temporal: rss(b.pids.temporal) };
  let allWaitingMs = NaN;
  let allArmedMs = NaN;
  const started = Date.now();
  const n = hooks.length;
  const figures = await load(b, 'waiting', o.armRate, hooks, expected, async () => {
    // Both counts polled together: each one's time is when it reached n.
    await until(b, 2 * n, async () => {
      const waiting = await runsIn(b, id, 'waiting');
      const armed = ((await timersRunning(b)) ?? 0) - timersBefore;
      if (waiting >= n && !Number.isFinite(allWaitingMs)) allWaitingMs = Date.now() - started;
      if (armed >= n && !Number.isFinite(allArmedMs)) allArmedMs = Date.now() - started;
      return Math.min(waiting, n) + Math.min(armed, n);
    });
    await sendsReach(b, n);
  });
  await sleep(SETTLE_MS);
  const after = { worker: rss(b.pids.worker), temporal: rss(b.pids.temporal) };
  const waiting = await runsIn(b, id, 'waiting');
  const armed = ((await timersRunning(b)) ?? 0) - timersBefore;
  console.log(
    `waiting: ${grouped(hooks.length)} contacts send the keyword of an automation that asks ` +
      `(buttons) and waits ${WAIT_TIMEOUT} for the answer`,
  );
  printOffered(o.armRate, figures.offered);
  const s = (ms: number, what: string, n: number) =>
    Number.isFinite(ms)
      ? `${fixed(ms / 1000, 1)} s`
      : `NOT within the timeout (${grouped(n)} ${what})`;
  console.log(
    `  all waiting (automation_runs, by SQL): ${s(allWaitingMs, 'waiting', waiting)}; all ` +
      `timers running (Temporal): ${s(allArmedMs, 'running', armed)}, from the first post`,
  );
  printReplies(figures.replies);
  printStages(figures.stages);
  console.log(`  routing decisions: ${figures.decisions}`);
  printLedger(figures.replies.ledger, 'questions', hooks.length);
  const per = (x: number) => `${fixed(x / Math.max(1, waiting) / 1024, 1)} kB each`;
  console.log(
    `  worker RSS ${fixed(before.worker / MB)} MB before, ${fixed(after.worker / MB)} MB with ` +
      `${grouped(waiting)} waiting (${per(after.worker - before.worker)}); Temporal RSS ` +
      `${fixed(before.temporal / MB)} MB before, ${fixed(after.temporal / MB)} MB after ` +
      `(${per(after.temporal - before.temporal)}), ${SETTLE_MS / 1000} s after the last`,
  );
  console.log(`  Temporal CPU per armed wait: ${fixed(figures.cpu.per.temporal!, 3)} ms`);
  printCpu('waiting run (its question sent, its timer armed)', figures);
  console.log('');
  return { id, broken: broken(figures.replies.ledger) };
}

async function routedPhase(b: Bench, o: Options, automationId: string) {
  const { rows } = await b.sql.query<{ id: string; phone_number: string }>(
    `SELECT r.id, c.phone_number FROM automation_runs r
       JOIN contacts c ON c.id = r.contact_id AND c.org_id = r.org_id
      WHERE r.automation_id = $1 AND r.state = 'waiting'`,
    [automationId],
  );
  const runOf = new Map(rows.map((r) => [r.phone_number, r.id]));
  const hooks = Array.from({ length: o.waiting }, (_, i) => i)
    .filter((i) => runOf.has(phoneOf(i)))
    .map((i) => webhook(b, i, { button: 'yes' }));
  const expected = hooks.map((w) => messageIdOf(runOf.get(`+${w.waId}`)!, 'thanks'));
  const figures = await load(b, 'routed', o.replyRate, hooks, expected, () =>
    sendsReach(b, hooks.length),
  );
  const completed = await runsIn(b, automationId, 'completed');
  const timers = await timersRunning(b);
  console.log(
    `routed: the ${grouped(hooks.length)} waiting contacts tap a button (a branch that sends a text)`,
  );
  printOffered(o.replyRate, figures.offered);
  printReplies(figures.replies);
  printStages(figures.stages);
  console.log(
    `  runs completed: ${grouped(completed)} of ${grouped(hooks.length)} waiting; timer ` +
      `workflows still running: ${timers === null ? '-' : grouped(timers)} (a reply does not ` +
      `end them: each wakes at its timeout and finds its wait over)`,
  );
  console.log(`  routing decisions: ${figures.decisions}`);
  printLedger(figures.replies.ledger, 'replies to waiting runs', hooks.length);
  printCpu('reply', figures);
  console.log(
    `  worker RSS ${fixed(rss(b.pids.worker) / MB)} MB, Temporal RSS ` +
      `${fixed(rss(b.pids.temporal) / MB)} MB after\n`,
  );
  return broken(figures.replies.ledger);
}

/** Every server in its own process, the organization, its key and its business number. */
async function setUp(resources: Resources, o: Options) {
  const simUrl = loopbackUrl(await freePort());
  const infra = await startInfrastructure(resources, {
    temporal: true,
    store: 'postgres',
    env: { SANDBOX_MODE: 'true', META_SIMULATOR_URL: simUrl, LOG_LEVEL: 'warn' },
    profile: o.profile !== null,
  });
  const { env, config, tmp, servers } = infra;
  const { accessToken, appSecret } = config.meta.simulator;
  const simProcess = await forkServer<{ port: number }>(
    resources,
    'Meta simulator',
    __filename,
    ['serve', 'simulator'],
    { port: Number(new URL(simUrl).port), accessToken, appSecret } satisfies SimRequest,
  );
  const sql = sqlPool(resources, config);
  const database = await openStore(config, 'bench');
  resources.add(() => database.close());
  const { store } = database;
  const p = await provisionOrganization(store, { name: 'bench' }, accountSettings(config).sandbox);
  const orgId = p.organization.id;
  const { key } = await store.apiKeys.create(orgId, {
    name: 'bench',
    rateLimit: { per_minute: 100_000_000, per_second: 10_000_000 },
  });
  const account = await store.accounts.create(orgId, {
    name: 'bench',
    phoneNumberId: PHONE_NUMBER_ID,
    wabaId: sandboxWabaId(PHONE_NUMBER_ID),
    accessToken,
    appSecret,
    verifyToken: randomToken(),
    throughput: CAP,
    graphUrl: simUrl,
  });
  const { worker, api: apiProcess } = await launchWorkerAndApi(resources, __filename, {
    config,
    env,
    dir: tmp,
    profile: o.profile,
  });
  const sim = simControl(simUrl, SIM_CALL_TIMEOUT_MS);
  await sim.configure({ throughputPerNumber: { [PHONE_NUMBER_ID]: CAP } });
  const connection = await Connection.connect({ address: config.temporal.address });
  resources.add(() => connection.close());
  const temporalPid = typeof servers.temporal === 'number' ? servers.temporal : null;
  const b: Bench = {
    sql,
    sim,
    meter: new CpuMeter({
      ...servers,
      worker: worker.pid,
      api: apiProcess.pid,
      simulator: simProcess.pid,
      [LOAD_GEN]: process.pid,
    }),
    temporal: new Client({ connection, namespace: config.temporal.namespace }),
    apiUrl: loopbackUrl(apiProcess.port),
    apiKey: key,
    accountId: account._id,
    number: {
      id: PHONE_NUMBER_ID,
      wabaId: sandboxWabaId(PHONE_NUMBER_ID),
      displayPhoneNumber: PHONE_NUMBER_ID,
    },
    appSecret,
    pids: { worker: worker.pid, temporal: temporalPid },
    drainMs: o.drainMs,
    profiler: o.profile ? await PhaseProfiler.create(sql, infra.temporalMetricsUrl) : null,
  };
  return { b, workerLog: worker.log };
}

async function main(argv: string[], resources: Resources): Promise<number> {
  const o = options(argv);
  const { b, workerLog } = await setUp(resources, o);
  console.log(
    `Automations on ${availableParallelism()} cores; phases ${o.only.join(', ')}; every server ` +
      `in its own process; customers' messages posted as signed Meta webhooks, open loop.\n`,
  );
  await warmUp(b, o);
  let failed = false;
  let reply: ReplyResults | null = null;
  if (o.only.includes('reply')) {
    const r = await replyPhase(b, o);
    reply = r;
    failed = r.broken || failed;
  }
  if (o.only.includes('workflow')) failed = (await workflowPhase(b, o, reply)) || failed;
  if (o.only.includes('waiting')) {
    const w = await waitingPhase(b, o);
    failed = w.broken || failed;
    if (o.only.includes('routed')) failed = (await routedPhase(b, o, w.id)) || failed;
  }
  if (o.profile) {
    console.log(
      `CPU profiles of the API and the worker, written as they stop: ` +
        `node dist/bench/cpu-profile.js ${o.profile}\n`,
    );
  }
  if (failed) console.log(`Worker log (last lines):\n${tail(workerLog)}\n`);
  console.log(`Command: ${['node dist/bench/automations.js', ...argv].join(' ')}`);
  return failed ? 1 : 0;
}

benchEntry(USAGE, main);

import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import type pg from 'pg';
import { configEnv, type Config } from '../lib/config';
import { randomToken } from '../lib/crypto';
import { sandboxWabaId } from '../lib/sandbox-ids';
import { freePort } from '../scripts/infra';
import { provisionOrganization } from '../scripts/provision';
import type { SendSummary, WebhookStats } from '../sim/meta/types';
import { simControl, type SimControl } from './sim-control';
import { statusesDrained, webhookFigures, type WebhookFigures } from './statuses';
import { openStore, type Store } from '../store';
import { accountSettings, DEFAULT_THROUGHPUT } from '../store/accounts';
import type { AccountDoc } from '../store/documents';
import { campaignWorkflowId } from '../workflows/contracts/campaign';
import type { TemplateSyncResult } from '../workflows/contracts/template-sync';
import { PhaseProfiler } from './profile';
import { benchEntry, type SimRequest } from './servers';
import {
  CpuMeter,
  cpuPerMessage,
  fixed,
  forkServer,
  grouped,
  launchWorker,
  loopbackUrl,
  positiveInt,
  readCpu,
  row,
  RssPeaks,
  sqlPool,
  startInfrastructure,
  sum,
  tail,
  UsageError,
  WAFLOW_CPU_GOAL_MS,
  WAFLOW_PROCESSES,
  waflowCpu,
  type CpuFigures,
  type Infrastructure,
  type Resources,
} from './support';

const USAGE = `Usage: node dist/bench/campaign.js [--recipients <n>] [--big] [--drain-timeout <s>]
                                     [--only <setting>[,<setting>...]] [--worker-node-options <flags>]
                                     [--profile]

Measures broadcast campaigns end to end, every server in its own process: PostgreSQL,
Temporal, the API, the worker, the Meta simulator and this process. For each setting, one
after the other, --recipients contacts (default 20,000; --big: 100,000, at most 100,000, all the
simulator's send log keeps) are seeded under a tag of their own, and POST /api/campaigns sends
them template order_confirmation (two body parameters from contact fields, mode anytime):
  80/s       a number capped at 80 messages/s (account and simulator), the simulator posting
             every message's sent, delivered and read status webhooks to the API
  1000/s     a number capped at 1,000/s, with status webhooks (3,000 a second)
  1000/s-q   another 1,000/s number without status webhooks: the pipeline's own pace
Each runs until GET /api/campaigns/:id says completed. Reports the steady send rate and its ratio
to the cap, duplicates and lost recipients in the simulator's send log (exit 1 if any), the time
from POST to the first accepted message, peak worker and API RSS, history events per workflow
run, statuses processed per second, and CPU per process. --drain-timeout (default 120) bounds
each wait for the status webhooks to drain and, beyond the expected duration, for completion.
--only runs the named settings alone; --worker-node-options passes more Node flags to the worker (for
example --heapsnapshot-signal=SIGWINCH for heap snapshots; Temporal's runtime stops the worker
on SIGUSR2). --profile prints, per setting, PostgreSQL's statements by time, its WAL and CPU by
client, and the Temporal server's requests by operation.`;

const BIG_RECIPIENTS = 100_000;
/** The simulator's send log keeps the newest 100,000 sends: the exactly-once check needs all. */
const MAX_RECIPIENTS = 100_000;
const RATE_GOAL = 0.9;
const RSS_GOAL_MB = 512;
/** Temporal warns about a workflow history from 10,240 events on. */
const HISTORY_WARN_EVENTS = 10_240;
/** A campaign's first second (snapshot done, first top-up landing) is not its pace. */
const STEADY_SKIP_MS = 1_000;
/** Counting a 100,000-recipient campaign costs the database: polling is kept infrequent. */
const POLL_MS = 2_000;
const RSS_SAMPLE_MS = 250;
const QUEUE_SAMPLE_MS = 250;
const STATUS_DELAY_MS = 10;
const STATUSES_PER_MESSAGE = 3;
const SIM_CALL_TIMEOUT_MS = 60_000;
/** The worker adds its counters (Meta's refusals among them) to the store this often. */
const COUNTER_FLUSH_MS = 5_000;
const TEMPLATE = 'order_confirmation';
/** The campaign activity that moves recipients into the send queue. */
const TOP_UP = 'topUpCampaign';
const PROCESSES = ['api', 'worker', 'simulator', 'postgres', 'temporal', 'bench'];
const FINISHED = new Set(['completed', 'cancelled', 'failed']);
const MB = 1024 * 1024;

export interface Setting {
  name: string;
  cap: number;
  statuses: boolean;
  /** Digit of the seeded phone numbers: each setting has recipients of its own. */
  digit: number;
}

export const SETTINGS: Setting[] = [
  { name: '80/s', cap: DEFAULT_THROUGHPUT, statuses: true, digit: 1 },
  { name: '1000/s', cap: 1_000, statuses: true, digit: 2 },
  { name: '1000/s-q', cap: 1_000, statuses: false, digit: 3 },
];

interface Options {
  recipients: number;
  drainMs: number;
  settings: Setting[];
  workerNodeOptions: string | undefined;
  /** Each setting's PostgreSQL statements and Temporal requests (see PhaseProfiler). */
  profile: boolean;
}

/** Everything the settings share. */
interface Bench {
  config: Config;
  store: Store;
  sql: pg.Pool;
  sim: SimControl;
  temporal: Client;
  meter: CpuMeter;
  rss: RssPeaks;
  orgId: string;
  apiUrl: string;
  apiKey: string;
  drainMs: number;
  profiler: PhaseProfiler | null;
}

const mean = (values: number[]) => (values.length ? sum(values) / values.length : NaN);
const megabytes = (bytes: number | undefined) => (bytes === undefined ? NaN : bytes / MB);

function options(argv: string[]): Options {
  let values;
  try {
    values = parseArgs({
      args: argv,
      options: {
        recipients: { type: 'string' },
        big: { type: 'boolean', default: false },
        'drain-timeout': { type: 'string', default: '120' },
        only: { type: 'string' },
        'worker-node-options': { type: 'string' },
        profile: { type: 'boolean', default: false },
      },
    }).values;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.big && values.recipients !== undefined) {
    throw new UsageError('--big and --recipients exclude each other');
  }
  const recipients = values.big
    ? BIG_RECIPIENTS
    : positiveInt(values.recipients ?? '20000', '--recipients');
  if (recipients > MAX_RECIPIENTS) {
    throw new UsageError(`--recipients must be at most ${grouped(MAX_RECIPIENTS)}`);
  }
  const names = values.only?.split(',') ?? SETTINGS.map((s) => s.name);
  const unknown = names.filter((n) => !SETTINGS.some((s) => s.name === n));
  if (unknown.length) {
    throw new UsageError(
      `--only: no setting ${unknown.join(', ')} (settings: ${SETTINGS.map((s) => s.name).join(', ')})`,
    );
  }
  return {
    recipients,
    drainMs: positiveInt(values['drain-timeout'], '--drain-timeout') * 1000,
    settings: SETTINGS.filter((s) => names.includes(s.name)),
    workerNodeOptions: values['worker-node-options'],
    profile: values.profile ?? false,
  };
}

/** The API as a client sees it. */
async function api<T>(b: Bench, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${b.apiUrl}${path}`, {
    method,
    headers: {
      'x-api-key': b.apiKey,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(90_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
  return (JSON.parse(text) as { data: T }).data;
}

const phonePrefix = (s: Setting) => `+166${s.digit}`;
const tagOf = (s: Setting) => `bench-${s.name}`;

/**
 * `count` opted-in contacts tagged for the setting, written by the database in one statement:
 * importing them through the API would take longer than a 1,000/s campaign sends them.
 */
async function seedContacts(b: Bench, s: Setting, count: number): Promise<string[]> {
  const prefix = phonePrefix(s);
  await b.sql.query(
    `INSERT INTO contacts (id, org_id, phone_number, name, email, tags, stage, custom_fields,
                           opted_in, last_inbound_at, source, created_at, updated_at)
     SELECT md5('bench-campaign:' || $2 || n)::uuid::text, $1, $2 || lpad(n::text, 7, '0'),
            'Customer ' || n, NULL, ARRAY[$3::text], 'customer',
            jsonb_build_object('order', 'ORD-' || n), true, NULL, 'bulk', t, t
       FROM generate_series(1, $4::int) AS n,
            LATERAL (SELECT now() - ($4 - n) * interval '1 millisecond' AS t) AS at`,
    [b.orgId, prefix, tagOf(s), count],
  );
  await b.sql.query('ANALYZE contacts');
  return Array.from({ length: count }, (_, i) => `${prefix}${String(i + 1).padStart(7, '0')}`);
}

/** A number on the simulator with its own cap, an account of the organization. */
export async function number(b: Bench, s: Setting): Promise<AccountDoc> {
  const sim = b.config.meta.simulator;
  const phoneNumberId = `96${s.digit}${String(s.cap).padStart(12, '0')}`;
  const account = await b.store.accounts.create(b.orgId, {
    name: `bench ${s.name}`,
    phoneNumberId,
    wabaId: sandboxWabaId(phoneNumberId),
    accessToken: sim.accessToken,
    appSecret: sim.appSecret,
    verifyToken: randomToken(),
    throughput: s.cap,
    graphUrl: sim.url,
  });
  await b.sim.configure({ throughputPerNumber: { [phoneNumberId]: s.cap } });
  return account;
}

const campaignBody = (s: Setting, account: AccountDoc) => ({
  name: `Bench ${s.name}`,
  whatsapp_account: account._id,
  audience: { tags: [tagOf(s)] },
  mode: 'anytime',
  message: {
    type: 'template',
    template: {
      name: TEMPLATE,
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
  },
});

interface CampaignView {
  id: string;
  status: string;
  counts: Record<string, number>;
}

/** Polls the campaign until it finished or the deadline passed; the last view and when seen. */
async function untilFinished(b: Bench, id: string, deadline: number) {
  for (;;) {
    const view = await api<CampaignView>(b, 'GET', `/api/campaigns/${id}`);
    const at = Date.now();
    if (FINISHED.has(view.status) || at > deadline) return { view, at };
    await sleep(POLL_MS);
  }
}

/**
 * The number's send queue, sampled while the campaign runs: a queue often empty means the
 * campaign's top-ups, not the number's lane, set the pace.
 */
class QueueWatch {
  private readonly samples: { at: number; depth: number }[] = [];
  private running = true;
  private readonly done: Promise<void>;

  constructor(
    private readonly b: Bench,
    private readonly accountId: string,
  ) {
    this.done = this.loop();
  }

  private async loop(): Promise<void> {
    while (this.running) {
      // A sample the database failed to answer is only a gap in the figures.
      const depths = await this.b.store.sendQueue.depths([this.accountId]).catch(() => null);
      const d = depths?.get(this.accountId);
      if (depths) this.samples.push({ at: Date.now(), depth: d ? d.transactional + d.bulk : 0 });
      await sleep(QUEUE_SAMPLE_MS);
    }
  }

  /** Stops sampling; the mean depth and the share of empty samples within `window`. */
  async stop(window: { from: number; to: number }): Promise<QueueFigures> {
    this.running = false;
    await this.done;
    const inside = this.samples.filter((x) => x.at >= window.from && x.at <= window.to);
    const depths = inside.map((x) => x.depth);
    return {
      mean: mean(depths),
      empty: depths.length ? depths.filter((d) => d === 0).length / depths.length : NaN,
    };
  }
}

interface QueueFigures {
  mean: number;
  /** Share of the samples that found the queue empty. */
  empty: number;
}

interface SendFigures {
  accepted: number;
  /** Sends a second from the first second's end to the last send. */
  rate: number;
  /** Sends a second from the first send to the last. */
  overall: number;
  maxPerSecond: number;
  first: number;
  last: number;
  window: { from: number; to: number };
  duplicates: number;
  lost: number;
  unknown: number;
  samples: string[];
}

/**
 * Read off the simulator's log: the pace, and every expected phone accepted exactly once, by
 * recipient and by our message id (Meta echoes it back as callback data).
 */
function sendFigures(summary: SendSummary, account: AccountDoc, phones: string[]): SendFigures {
  const sends = (summary.sends ?? []).filter((e) => e.phone_number_id === account.phone_number_id);
  const times = sends.map((e) => Date.parse(e.time)).sort((a, b) => a - b);
  const perPhone = new Map<string, number>();
  for (const e of sends) perPhone.set(e.recipient, (perPhone.get(e.recipient) ?? 0) + 1);
  const expected = new Set(phones.map((p) => p.replace('+', '')));
  const duplicated = [...perPhone].filter(([, n]) => n > 1);
  const lost = [...expected].filter((p) => !perPhone.has(p));
  const unknown = [...perPhone.keys()].filter((p) => !expected.has(p));
  // Duplicates the kept log no longer shows still count, by callback data.
  const duplicates = Math.max(duplicated.length, summary.duplicates.length);
  const first = times[0] ?? NaN;
  const last = times.at(-1) ?? NaN;
  const from = first + STEADY_SKIP_MS;
  const steady = times.filter((t) => t > from).length;
  return {
    accepted: times.length,
    rate: last > from ? steady / ((last - from) / 1000) : 0,
    overall: last > first ? (times.length - 1) / ((last - first) / 1000) : 0,
    maxPerSecond: summary.by_number[account.phone_number_id]?.max_per_second ?? 0,
    first,
    last,
    window: { from, to: last },
    duplicates,
    lost: lost.length,
    unknown: unknown.length,
    samples: [
      ...duplicated.slice(0, 3).map(([p, n]) => `duplicate: +${p} accepted ${n}×`),
      ...lost.slice(0, 3).map((p) => `lost: +${p} never accepted`),
      ...unknown.slice(0, 3).map((p) => `unknown: +${p} is not a recipient`),
      ...(sends.length < summary.total && summary.total > MAX_RECIPIENTS
        ? [`the simulator kept ${sends.length} of ${summary.total} sends`]
        : []),
    ],
  };
}

interface StatusFigures extends WebhookFigures {
  /** Status webhooks the API stored for a retry: their processing failed at once. */
  stored: number;
  expected: number;
  /** From the last send to the last status processed (to the second). */
  lagMs: number;
  drained: boolean;
}

/** Stored webhooks not processed yet. */
const pendingWebhooks = (b: Bench) => async () => {
  const { rows } = await b.sql.query<{ pending: number }>(
    'SELECT count(*)::int AS pending FROM inbound_webhooks WHERE processed_at IS NULL',
  );
  return rows[0]!.pending;
};

async function statusFigures(
  b: Bench,
  since: number,
  before: WebhookStats,
  window: { from: number; to: number },
  accepted: number,
  drained: boolean,
): Promise<StatusFigures> {
  const webhooks = await webhookFigures(b.sim, before, window);
  const { rows } = await b.sql.query<{ stored: number }>(
    'SELECT count(*)::int AS stored FROM inbound_webhooks WHERE received_at > $1',
    [new Date(since)],
  );
  return {
    ...webhooks,
    stored: rows[0]!.stored,
    expected: accepted * STATUSES_PER_MESSAGE,
    lagMs: webhooks.lastAcknowledgedAt - window.to,
    drained,
  };
}

interface HistoryFigures {
  runs: number;
  max: number;
  mean: number;
  /** The top-up activities: how long each took, and how often one started. */
  topUps: number;
  topUpMs: number;
  cycleMs: number;
}

type HistoryEvent = NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>[0];

/**
 * The top-ups read off the histories: a campaign queues at most one second's worth per top-up,
 * so one every `cycleMs` caps its pace at cap x 1,000 / cycleMs.
 */
function topUpTimes(events: HistoryEvent[]) {
  const scheduled = new Map<string, number>();
  const starts: number[] = [];
  const durations: number[] = [];
  for (const e of events) {
    const at = tsToMs(e.eventTime);
    const s = e.activityTaskScheduledEventAttributes;
    if (s?.activityType?.name === TOP_UP) {
      scheduled.set(String(e.eventId), at);
      starts.push(at);
    }
    const done = e.activityTaskCompletedEventAttributes;
    const from = done && scheduled.get(String(done.scheduledEventId));
    if (from !== undefined && from !== null) durations.push(at - from);
  }
  const cycles = starts.slice(1).map((t, i) => t - starts[i]!);
  return { durations, cycles };
}

/**
 * Events of every run of `campaign:<id>`, walked back from the last run through the run each
 * continued: no wait for the visibility store to catch up.
 */
async function historyFigures(b: Bench, campaignId: string): Promise<HistoryFigures> {
  const workflowId = campaignWorkflowId(campaignId);
  await b.temporal.workflow.getHandle(workflowId).result();
  const counts: number[] = [];
  const durations: number[] = [];
  const cycles: number[] = [];
  let runId: string | undefined;
  do {
    const history = await b.temporal.workflow.getHandle(workflowId, runId).fetchHistory();
    const events = history.events ?? [];
    counts.push(events.length);
    const t = topUpTimes(events);
    durations.push(...t.durations);
    cycles.push(...t.cycles);
    runId =
      events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
  } while (runId);
  return {
    runs: counts.length,
    max: Math.max(...counts),
    mean: mean(counts),
    topUps: durations.length,
    topUpMs: mean(durations),
    cycleMs: mean(cycles),
  };
}

/** Meta's 130429 answers to the account, from the counters the worker stores. */
async function refusals(b: Bench, account: AccountDoc, lastSendAt: number): Promise<number> {
  await sleep(Math.max(0, lastSendAt + COUNTER_FLUSH_MS + 1_000 - Date.now()));
  let n = 0;
  for (const c of await b.store.counters.list()) {
    const ours = c.labels.account_id === account._id && c.labels.code === '130429';
    if (c.name === 'waflow_meta_errors_total' && ours) n += c.value;
  }
  return n;
}

export interface SettingFigures {
  setting: Setting;
  campaignId: string;
  status: string;
  counts: Record<string, number>;
  postMs: number;
  /** From sending the POST to the first message the simulator accepted. */
  firstMs: number;
  /** From sending the POST to the poll that saw it finished. */
  wallMs: number;
  sends: SendFigures;
  queue: QueueFigures;
  statuses: StatusFigures | null;
  history: HistoryFigures;
  rssMb: { worker: number; api: number };
  refused: number;
  cpu: CpuFigures;
}

/** Seeds the recipients, runs the campaign to its end and reads every figure off it. */
export async function runSetting(
  b: Bench,
  s: Setting,
  account: AccountDoc,
  recipients: number,
): Promise<SettingFigures> {
  const phones = await seedContacts(b, s, recipients);
  await b.sim.configure({
    statusWebhooks: {
      enabled: s.statuses,
      delayMs: STATUS_DELAY_MS,
      deliveredRate: 1,
      readRate: 1,
      duplicateRate: 0,
      reorderRate: 0,
    },
  });
  await b.sim.clear();
  const webhooksBefore = await b.sim.webhookStats();
  b.rss.take();
  await b.profiler?.begin();
  const before = readCpu(b.meter);
  const queue = new QueueWatch(b, account._id);
  const posted = Date.now();
  const created = await api<CampaignView>(b, 'POST', '/api/campaigns', campaignBody(s, account));
  const postMs = Date.now() - posted;
  const deadline = posted + 2 * ((recipients / s.cap) * 1000) + b.drainMs;
  const { view, at } = await untilFinished(b, created.id, deadline);
  // The CPU figures count every message's statuses, not just those in by completion.
  const drained = s.statuses ? await statusesDrained(b.sim, pendingWebhooks(b), b.drainMs) : true;
  const until = s.statuses ? Date.now() : at;
  const cpu = CpuMeter.diff(before, readCpu(b.meter));
  const sends = sendFigures(await b.sim.sends(), account, phones);
  await b.profiler?.end(s.name, sends.accepted);
  const depth = await queue.stop(sends.window);
  const statuses = s.statuses
    ? await statusFigures(b, posted, webhooksBefore, sends.window, sends.accepted, drained)
    : null;
  // After the statuses drained: the API's backlog of them is part of what it holds.
  const rss = b.rss.take();
  const history =
    view.status === 'completed'
      ? await historyFigures(b, created.id)
      : { runs: NaN, max: NaN, mean: NaN, topUps: NaN, topUpMs: NaN, cycleMs: NaN };
  return {
    setting: s,
    campaignId: created.id,
    status: view.status,
    counts: view.counts,
    postMs,
    firstMs: sends.first - posted,
    wallMs: at - posted,
    sends,
    queue: depth,
    statuses,
    history,
    rssMb: { worker: megabytes(rss.worker), api: megabytes(rss.api) },
    refused: await refusals(b, account, sends.last),
    cpu: cpuPerMessage(PROCESSES, cpu, Math.max(1, sends.accepted), until - posted),
  };
}

const INDENT = ' '.repeat(10);

export function printSetting(f: SettingFigures) {
  const { sends: x, counts: c, setting: s, history: h } = f;
  const lines = [
    `${f.status} (seen ${fixed(f.wallMs / 1000, 1)} s after the POST): counts total ` +
      `${c.total}, sent ${c.sent}, delivered ${c.delivered}, read ${c.read}, failed ` +
      `${c.failed}, skipped ${c.skipped}, pending ${c.pending}`,
    `pace: steady ${fixed(x.rate, 1)}/s of ${s.cap} (${fixed(x.rate / s.cap, 3)}), first to ` +
      `last ${fixed(x.overall, 1)}/s, busiest second ${x.maxPerSecond}, 130429 answers ` +
      `${f.refused}; send queue ${fixed(f.queue.mean)} deep on average, empty in ` +
      `${fixed(f.queue.empty * 100)}% of samples`,
    `start: POST answered in ${f.postMs} ms, first message accepted ${grouped(f.firstMs)} ms ` +
      `after sending it`,
    `simulator log: ${grouped(x.accepted)} accepted, ${x.duplicates} duplicates, ${x.lost} ` +
      `lost, ${x.unknown} to phones outside the audience`,
    `history: ${h.runs} runs, events per run max ${h.max}, mean ${fixed(h.mean)}; ${h.topUps} ` +
      `top-ups taking ${fixed(h.topUpMs)} ms on average, one every ${fixed(h.cycleMs)} ms ` +
      `(at most ${fixed((s.cap * 1000) / h.cycleMs)}/s queued)`,
    `peak RSS: worker ${fixed(f.rssMb.worker)} MB, api ${fixed(f.rssMb.api)} MB`,
    ...(f.statuses ? [statusLine(f.statuses)] : []),
    ...x.samples,
  ];
  console.log(lines.map((l, i) => `${i ? INDENT : s.name.padEnd(10)}${l}`).join('\n'));
}

function statusLine(t: StatusFigures): string {
  return (
    `statuses in the steady window: ${grouped(t.postedPerSecond)}/s posted, ` +
    `${grouped(t.acknowledgedPerSecond)}/s processed and acknowledged; ` +
    `${t.acknowledged}/${t.expected} acknowledged, ${t.stored} stored for a retry, the last ` +
    `within ${fixed(t.lagMs / 1000)} s after the last send` +
    (t.drained ? '' : ' (NOT DRAINED within the timeout)')
  );
}

function printCpu(all: SettingFigures[]) {
  console.log(
    `\nCPU ms per message accepted by the simulator, by process, from POST to completed; busy: ` +
      `share of the ${availableParallelism()} cores the benchmark's processes used, and the ` +
      `whole machine (others: the machine's use besides them)`,
  );
  const header = ['', ...PROCESSES, 'total', 'others', 'busy', 'machine'];
  console.log(`  ${row(header, 10, 10)}`);
  for (const { setting, cpu } of all) {
    const cells = PROCESSES.map((p) => fixed(cpu.per[p]!, 3));
    const busy = [cpu.busy, cpu.machineBusy].map((x) => `${fixed(x * 100)}%`);
    const totals = [fixed(cpu.total, 3), fixed(cpu.others, 3), ...busy];
    console.log(`  ${row([setting.name, ...cells, ...totals], 10, 10)}`);
  }
  for (const { setting, cpu } of all) {
    console.log(
      `${setting.name.padEnd(10)}Waflow CPU ms per message (${WAFLOW_PROCESSES.join('+')}): ` +
        fixed(waflowCpu(cpu), 3),
    );
  }
}

type SummaryRow = [figure: string, value: string, goal: string, met: boolean | null];

/** A saturated machine, rather than the pipeline, sets the pace: most cores busy. */
const SATURATED = 0.9;

function rateRow(f: SettingFigures): SummaryRow {
  const ratio = f.sends.rate / f.setting.cap;
  const { busy, machineBusy } = f.cpu;
  const saturated =
    machineBusy >= SATURATED
      ? ` (machine ${fixed(machineBusy * 100)}% busy, ${fixed((machineBusy - busy) * 100)}% others)`
      : '';
  return [
    `${f.setting.name}: messages/s, rate / cap`,
    `${fixed(f.sends.rate, 1)}, ${fixed(ratio, 3)}${saturated}`,
    `>= ${RATE_GOAL}`,
    ratio >= RATE_GOAL,
  ];
}

function settingRows(f: SettingFigures): SummaryRow[] {
  const n = f.setting.name;
  const rows: SummaryRow[] = [
    rateRow(f),
    [
      `${n}: Waflow CPU ms per message`,
      fixed(waflowCpu(f.cpu), 3),
      f.setting.statuses ? `<= ${WAFLOW_CPU_GOAL_MS}` : '-',
      f.setting.statuses ? waflowCpu(f.cpu) <= WAFLOW_CPU_GOAL_MS : null,
    ],
    [
      `${n}: duplicates / lost (of ${grouped(f.counts.total ?? NaN)})`,
      `${f.sends.duplicates} / ${f.sends.lost}`,
      '0 / 0',
      f.sends.duplicates === 0 && f.sends.lost === 0 && f.sends.unknown === 0,
    ],
    [`${n}: POST to first message (ms)`, grouped(f.firstMs), '-', null],
    [
      `${n}: history events/run max / mean`,
      `${f.history.max} / ${fixed(f.history.mean)} (${f.history.runs} runs)`,
      `< ${grouped(HISTORY_WARN_EVENTS)}`,
      f.history.max < HISTORY_WARN_EVENTS,
    ],
  ];
  if (f.statuses) {
    const t = f.statuses;
    rows.push([
      `${n}: statuses processed/s (posted/s)`,
      `${grouped(t.acknowledgedPerSecond)} (${grouped(t.postedPerSecond)})`,
      'all that arrive',
      t.drained && t.acknowledgedPerSecond >= 0.99 * t.postedPerSecond,
    ]);
  }
  return rows;
}

function summaryRows(all: SettingFigures[], recipients: number): SummaryRow[] {
  const rssGoal = `< ${RSS_GOAL_MB}${recipients < BIG_RECIPIENTS ? ' at 100,000' : ''}`;
  const rssRow = (p: 'worker' | 'api'): SummaryRow => {
    const top = all.reduce((a, f) => (f.rssMb[p] > a.rssMb[p] ? f : a));
    const mb = top.rssMb[p];
    return [
      `peak ${p} RSS (MB)`,
      `${fixed(mb)} (in ${top.setting.name})`,
      rssGoal,
      recipients >= BIG_RECIPIENTS ? mb < RSS_GOAL_MB : null,
    ];
  };
  return [...all.flatMap(settingRows), rssRow('worker'), rssRow('api')];
}

/** A summary line: the figure left-aligned, its value, goal and mark right-aligned. */
const summaryLine = (cells: string[]) =>
  `  ${cells[0]!.padEnd(42)}${cells[1]!.padStart(48)}${cells[2]!.padStart(20)}${cells[3]!.padStart(5)}`;

function printSummary(all: SettingFigures[], recipients: number, command: string) {
  console.log(`\nSummary (${grouped(recipients)} recipients per campaign)`);
  console.log(summaryLine(['figure', 'value', 'goal', 'met']));
  for (const [figure, value, goal, met] of summaryRows(all, recipients)) {
    console.log(summaryLine([figure, value, goal, met === null ? '' : met ? 'yes' : 'NO']));
  }
  console.log(`\nCommand: ${command}`);
}

/** Exactly once, and every campaign completed: anything else is a failure. */
const broken = (f: SettingFigures) =>
  f.status !== 'completed' || f.sends.duplicates + f.sends.lost + f.sends.unknown > 0;

async function temporalClient(resources: Resources, config: Config): Promise<Client> {
  const connection = await Connection.connect({ address: config.temporal.address });
  resources.add(() => connection.close());
  return new Client({ connection, namespace: config.temporal.namespace });
}

export async function provision(store: Store, config: Config) {
  const p = await provisionOrganization(store, { name: 'bench' }, accountSettings(config).sandbox);
  const orgId = p.organization.id;
  // High enough that the limiter does all its bookkeeping but never refuses a request.
  const { key } = await store.apiKeys.create(orgId, {
    name: 'bench',
    rateLimit: { per_minute: 100_000_000, per_second: 10_000_000 },
  });
  return { orgId, key };
}

/** Every account's templates, synced by the worker: a campaign names an approved one. */
export async function syncTemplates(b: Bench, workerExited: Promise<string>) {
  const result = await Promise.race([
    api<TemplateSyncResult>(b, 'POST', '/api/templates/sync', {}),
    workerExited.then((why) => Promise.reject(new Error(why))),
  ]);
  const failed = result.accounts.filter((a) => a.error !== null);
  if (failed.length) {
    throw new Error(`Template sync failed: ${failed.map((a) => a.error).join('; ')}`);
  }
}

/** The configuration a campaign's infrastructure starts with: the simulator it will run on. */
export const campaignEnv = async () => ({
  SANDBOX_MODE: 'true',
  META_SIMULATOR_URL: loopbackUrl(await freePort()),
  LOG_LEVEL: 'warn',
});

/**
 * On `infra` (started with `campaignEnv`): the Meta simulator, the API and `workers` workers,
 * each in its own process, and the organization.
 */
export async function setUp(
  resources: Resources,
  o: Pick<Options, 'drainMs' | 'workerNodeOptions' | 'profile'>,
  infra: Infrastructure,
  workers = 1,
) {
  const { env, config, tmp, servers, temporalMetricsUrl } = infra;
  const simUrl = config.meta.simulator.url;
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
  const { orgId, key } = await provision(store, config);
  // Each worker after the first logs in a folder of its own.
  const folder = (i: number) => {
    if (!i) return tmp;
    const dir = join(tmp, `worker-${i + 1}`);
    mkdirSync(dir);
    return dir;
  };
  const [worker, ...others] = Array.from({ length: workers }, (_, i) =>
    launchWorker(
      resources,
      { ...configEnv(config), LOG_LEVEL: env.LOG_LEVEL },
      folder(i),
      o.workerNodeOptions,
    ),
  );
  const apiProcess = await forkServer<{ port: number }>(
    resources,
    'API',
    __filename,
    ['serve', 'api'],
    { env },
  );
  const apiUrl = loopbackUrl(apiProcess.port);
  const sim = simControl(simUrl, SIM_CALL_TIMEOUT_MS);
  await sim.configure({ webhookUrl: `${apiUrl}/api/webhooks/meta` });
  const rss = new RssPeaks({ worker: worker!.pid, api: apiProcess.pid }, RSS_SAMPLE_MS);
  resources.add(async () => rss.stop());
  const b: Bench = {
    config,
    store,
    sql,
    sim,
    temporal: await temporalClient(resources, config),
    meter: new CpuMeter({
      ...servers,
      worker: worker!.pid,
      ...Object.fromEntries(others.map((w, i) => [`worker ${i + 2}`, w.pid])),
      api: apiProcess.pid,
      simulator: simProcess.pid,
      bench: process.pid,
    }),
    rss,
    orgId,
    apiUrl,
    apiKey: key,
    drainMs: o.drainMs,
    profiler: o.profile ? await PhaseProfiler.create(sql, temporalMetricsUrl) : null,
  };
  return { b, worker: worker! };
}

async function main(argv: string[], resources: Resources): Promise<number> {
  const o = options(argv);
  const infra = await startInfrastructure(resources, {
    temporal: true,
    store: 'postgres',
    env: await campaignEnv(),
    profile: o.profile,
  });
  const { b, worker } = await setUp(resources, o, infra);
  const accounts = await Promise.all(o.settings.map((s) => number(b, s)));
  await syncTemplates(b, worker.exited);
  console.log(
    `${grouped(o.recipients)} recipients per campaign, template ${TEMPLATE} with two body ` +
      `parameters from contact fields, on ${availableParallelism()} cores; status webhooks ` +
      `posted ${STATUS_DELAY_MS} ms apart where on.\n`,
  );
  const all: SettingFigures[] = [];
  for (const [i, s] of o.settings.entries()) {
    const f = await runSetting(b, s, accounts[i]!, o.recipients);
    printSetting(f);
    all.push(f);
  }
  printCpu(all);
  printSummary(all, o.recipients, ['node dist/bench/campaign.js', ...argv].join(' '));
  const failed = all.some(broken);
  if (failed) console.log(`\nWorker log (last lines):\n${tail(worker.log)}`);
  return failed ? 1 : 0;
}

if (require.main === module) benchEntry(USAGE, main);

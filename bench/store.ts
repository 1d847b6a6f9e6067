import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Env } from '../lib/config';
import { randomToken } from '../lib/crypto';
import { binPath, freePort, startFerret } from '../scripts/infra';
import { startThrowawayPostgres } from '../scripts/postgres';
import { openStore, type Store } from '../store';
import type { MessageStatus } from '../store/documents';
import { dropMongoDatabase, seeded, seedMongo } from '../store/mongo/seed';
import { dropPostgresSchema, seedPostgres } from '../store/postgres/seed';
import { parseFlags, positiveInt, Resources, runMain, UsageError } from './support';

type Kind = 'postgres' | 'mongo';
const KINDS: Record<Kind, string> = { postgres: 'PostgreSQL', mongo: 'FerretDB (MongoDB)' };
const OPERATIONS = [
  'messages.insert',
  'status by wamid',
  'contacts.findByPhone',
  'contacts.list page 1',
  'contacts.list later page',
] as const;
type Operation = (typeof OPERATIONS)[number];
const CONCURRENCY = [1, 8];
const PAGE_LIMIT = 50;
const LATER_PAGE = 50;
/** FerretDB's stepping stone between 1,000 rows and the larger sizes. */
const FERRET_STEP = 10_000;
/** Fewer samples than this in a measurement's share of the budget: the size was too slow. */
const MIN_SAMPLES = 20;

const USAGE = `Usage: node dist/bench/store.js [--sizes 1000,100000,1000000] [--ops <n>]
       [--stores postgres,mongo] [--budget-seconds <s>]

Times the store's hot operations through its repositories (the Store contract): inserting a
message, applying a status by wamid (as the inbound processor does), finding a contact by
phone, and the first and a later page of the contact list, one client at a time and then
8 at once, at each size (contacts and messages, each). PostgreSQL (embedded, unless
DATABASE_URL is set) runs every size with --ops samples of each. FerretDB (unless MONGODB_URI
is set) gets --budget-seconds a size, shared evenly by its ten measurements, each taking up
to --ops samples in its share; it goes on to larger sizes (10,000 first) until seeding a
size does not fit in the budget or an operation takes fewer than ${MIN_SAMPLES} samples in
its share.`;

interface Options {
  sizes: number[];
  ops: number;
  stores: Kind[];
  budgetMs: number;
}

interface Measured {
  samples: number;
  p50: number;
  p99: number;
  opsPerSecond: number;
  errors: number;
  firstError: string | null;
  /** The budget ran out before every sample was taken. */
  cut: boolean;
}

interface SizeRun {
  size: number;
  seedSeconds: number | null;
  /** Why this size was left (partly) unmeasured. */
  stopped: string | null;
  results: Map<string, Measured>;
}

interface StoreRun {
  kind: Kind;
  poolSize: number | null;
  /** The machine's 1-minute load average when the store started and when it was done. */
  load: [number, number];
  failure: string | null;
  sizes: SizeRun[];
}

const key = (op: Operation, clients: number) => `${op}|${clients}`;
const pick = (size: number) => 1 + Math.floor(Math.random() * size);
const laterPage = (size: number) =>
  Math.max(1, Math.min(LATER_PAGE, Math.floor(size / PAGE_LIMIT)));
const grouped = (n: number) => n.toLocaleString('en-US');

function parseOptions(argv: string[]): Options {
  const flags = parseFlags(argv, {
    sizes: '1000,100000,1000000',
    ops: '300',
    stores: 'postgres,mongo',
    'budget-seconds': '120',
  });
  const sizes = [...new Set(flags.sizes.split(',').map((s) => positiveInt(s.trim(), '--sizes')))];
  if (sizes.some((s) => s > 9_999_999)) throw new UsageError('--sizes go up to 9,999,999');
  const stores = [...new Set(flags.stores.split(',').map((s) => s.trim()))];
  for (const s of stores) {
    if (s !== 'postgres' && s !== 'mongo') {
      throw new UsageError(`--stores takes postgres and/or mongo, not '${s}'`);
    }
  }
  return {
    sizes: sizes.sort((a, b) => a - b),
    ops: positiveInt(flags.ops, '--ops'),
    stores: stores as Kind[],
    budgetMs: positiveInt(flags['budget-seconds'], '--budget-seconds') * 1000,
  };
}

interface Target {
  env: Env;
  seed(
    range: { orgId: string; accountId: string; from: number; to: number },
    progress: (rows: number) => void,
    signal: AbortSignal,
  ): Promise<void>;
}

/**
 * The database of `kind`: the one named by DATABASE_URL / MONGODB_URI, or a server started
 * here on a free loopback port with its data in a temporary folder. Either way the benchmark
 * works in a schema (database) of its own, dropped at the end.
 */
async function startTarget(kind: Kind, r: Resources): Promise<Target> {
  const tmp = r.tmpDir('waflow-bench-store-');
  // As root, PostgreSQL runs as an unprivileged user, who must reach its cluster in here.
  chmodSync(tmp, 0o711);
  const name = `bench_store_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const env: Env = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATA_DIR: tmp,
    WAFLOW_CACHE_DIR: process.env.WAFLOW_CACHE_DIR,
    DATABASE_POOL_SIZE: process.env.DATABASE_POOL_SIZE,
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    WAFLOW_STORE: kind,
  };
  const { cacheDir } = loadConfig(env);
  if (kind === 'postgres') {
    let url = process.env.DATABASE_URL;
    if (!url) {
      const postgres = await startThrowawayPostgres({ cacheDir, dir: tmp });
      r.managed(postgres.proc);
      url = postgres.url;
    }
    const target = { url, schema: name };
    r.add(() => dropPostgresSchema(target));
    return {
      env: { ...env, DATABASE_URL: url, DATABASE_SCHEMA: name },
      seed: (range, progress) => seedPostgres(target, range, progress),
    };
  }
  let uri = process.env.MONGODB_URI;
  if (!uri) {
    const port = await freePort();
    r.managed(
      await startFerret({
        bin: binPath(cacheDir, 'ferretdb'),
        dataDir: join(tmp, 'ferretdb'),
        port,
        logFile: join(tmp, 'ferretdb.log'),
      }),
    );
    uri = `mongodb://127.0.0.1:${port}/`;
  }
  const target = { uri, db: name };
  r.add(() => dropMongoDatabase(target));
  return {
    env: { ...env, MONGODB_URI: uri, MONGODB_DB: name },
    seed: (range, progress, signal) => seedMongo(target, range, { progress, signal }),
  };
}

/** The operations, each one call as the engine makes it, on rows that exist at `size`. */
function operations(
  store: Store,
  orgId: string,
  accountId: string,
  size: number,
  applied: Map<number, number>,
): Record<Operation, () => Promise<void>> {
  const list = async (page: number) => {
    const { contacts, total } = await store.contacts.list(orgId, { page, limit: PAGE_LIMIT });
    if (contacts.length !== PAGE_LIMIT || total < size) {
      throw new Error(`Page ${page}: ${contacts.length} contacts of ${total}`);
    }
  };
  const later = laterPage(size);
  return {
    // As the send activity stores a message before sending it.
    async 'messages.insert'() {
      const n = pick(size);
      const { created } = await store.messages.insert({
        _id: randomUUID(),
        org_id: orgId,
        account_id: accountId,
        contact_id: seeded.contactId(n),
        direction: 'outbound',
        phone_number: seeded.phone(n),
        user_id: null,
        type: 'template',
        content: { name: 'order_confirmation', language: { code: 'en' } },
        origin: 'api',
        origin_id: null,
        request_hash: null,
        wamid: null,
        status: 'queued',
      });
      if (!created) throw new Error('A fresh message id was already stored');
    },

    // inbound/processor.ts: the message by its wamid, checked against the account's
    // organization, then the status.
    async 'status by wamid'() {
      const n = pick(size);
      const msg = await store.messages.byWamid(seeded.wamid(n));
      if (!msg || msg.org_id !== orgId) throw new Error(`No message for ${seeded.wamid(n)}`);
      // Each message moves forward once, then once more; later picks repeat a known status.
      const uses = applied.get(n) ?? 0;
      applied.set(n, uses + 1);
      const status: MessageStatus = uses === 0 ? 'delivered' : 'read';
      await store.messages.applyStatus(msg._id, status, new Date(), null);
    },

    async 'contacts.findByPhone'() {
      const phone = seeded.phone(pick(size));
      if (!(await store.contacts.findByPhone(orgId, phone))) throw new Error(`No ${phone}`);
    },

    'contacts.list page 1': () => list(1),
    'contacts.list later page': () => list(later),
  };
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * Takes `count` samples of `op` from `clients` concurrent callers, each timing its own calls;
 * stops taking new ones after `deadline`.
 */
async function measure(
  op: () => Promise<void>,
  count: number,
  clients: number,
  deadline: number,
): Promise<Measured> {
  const latencies: number[] = [];
  let started = 0;
  let errors = 0;
  let firstError: string | null = null;
  let cut = false;
  const begin = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (started < count) {
        if (Date.now() > deadline) {
          cut = true;
          return;
        }
        started++;
        const t0 = performance.now();
        try {
          await op();
          latencies.push(performance.now() - t0);
        } catch (err) {
          errors++;
          firstError ??= err instanceof Error ? err.message : String(err);
        }
      }
    }),
  );
  const seconds = (performance.now() - begin) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    samples: latencies.length,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    opsPerSecond: latencies.length / seconds,
    errors,
    firstError,
    cut,
  };
}

const ms = (v: number) => (Number.isNaN(v) ? '–' : v < 10 ? v.toFixed(2) : v.toFixed(1));

function describe(m: Measured, wanted: number): string {
  const cut = m.cut ? `, cut at ${m.samples}/${wanted}` : '';
  const errors = m.errors ? `, ${m.errors} errors (${m.firstError})` : '';
  return `p50 ${ms(m.p50)} ms, p99 ${ms(m.p99)} ms, ${grouped(Math.round(m.opsPerSecond))} ops/s${cut}${errors}`;
}

/** FerretDB goes up through 10,000 rows on its way to the larger sizes. */
function sizesFor(kind: Kind, sizes: number[]): number[] {
  if (kind === 'postgres' || sizes[sizes.length - 1]! <= FERRET_STEP) return sizes;
  return [...new Set([...sizes, FERRET_STEP])].sort((a, b) => a - b);
}

/** Fills `run` as it goes, so that what was measured before a failure is still reported. */
async function benchStore(run: StoreRun, o: Options, outer: Resources): Promise<void> {
  const r = new Resources();
  outer.add(() => r.close());
  const { kind } = run;
  const label = KINDS[kind];
  const sizes = sizesFor(kind, o.sizes);
  // Only FerretDB is cut short: PostgreSQL is bounded by the sample counts alone.
  const budgetMs = kind === 'mongo' ? o.budgetMs : Number.POSITIVE_INFINITY;
  try {
    console.log(`\n${label}: starting`);
    const target = await startTarget(kind, r);
    const config = loadConfig(target.env);
    if (kind === 'postgres') run.poolSize = config.postgres.poolSize;
    const handle = await openStore(config);
    r.add(() => handle.close());
    const { store } = handle;
    const org = await store.organizations.create('bench');
    const account = await store.accounts.create(org._id, {
      name: 'bench',
      phoneNumberId: '100000000000001',
      wabaId: '200000000000001',
      accessToken: randomToken(),
      appSecret: randomToken(),
      verifyToken: randomToken(),
      displayPhoneNumber: '+15550000001',
    });
    const applied = new Map<number, number>();
    let rows = 0;
    let stop: string | null = null;

    for (const size of sizes) {
      const sizeRun: SizeRun = { size, seedSeconds: null, stopped: stop, results: new Map() };
      run.sizes.push(sizeRun);
      if (stop) continue;

      const seedStart = performance.now();
      let lastReport = seedStart;
      try {
        await target.seed(
          { orgId: org._id, accountId: account._id, from: rows, to: size },
          (done) => {
            rows = done;
            if (performance.now() - lastReport > 10_000) {
              lastReport = performance.now();
              console.log(`  seeding: ${grouped(done)} of ${grouped(size)} rows`);
            }
          },
          AbortSignal.timeout(Math.min(budgetMs, 2 ** 31 - 1)),
        );
      } catch (err) {
        if ((err as Error).name !== 'TimeoutError') throw err;
        stop = `seeding passed the ${o.budgetMs / 1000} s budget at ${grouped(rows)} rows`;
        sizeRun.stopped = stop;
        console.log(`  ${grouped(size)} rows: ${stop}`);
        continue;
      }
      rows = size;
      sizeRun.seedSeconds = (performance.now() - seedStart) / 1000;
      console.log(`  ${grouped(size)} rows: seeded in ${sizeRun.seedSeconds.toFixed(1)} s`);

      const ops = operations(store, org._id, account._id, size, applied);
      // Each measurement gets an equal share of the size's budget, so that every operation is
      // measured at every size reached, however slow the others are.
      const share = budgetMs / (CONCURRENCY.length * OPERATIONS.length);
      let starved = false;
      for (const clients of CONCURRENCY) {
        for (const op of OPERATIONS) {
          // Warm-up, untimed: a connection for every client, and the server's caches.
          await measure(ops[op], Math.min(o.ops, clients), clients, Date.now() + share / 5);
          const m = await measure(ops[op], o.ops, clients, Date.now() + (share * 4) / 5);
          sizeRun.results.set(key(op, clients), m);
          console.log(`  ${grouped(size)} rows, ${op} ×${clients}: ${describe(m, o.ops)}`);
          if (m.cut && m.samples < MIN_SAMPLES) starved = true;
        }
      }
      if (starved) {
        stop =
          `an operation took fewer than ${MIN_SAMPLES} samples in its share ` +
          `(${(share / 1000).toFixed(0)} s) of the ${o.budgetMs / 1000} s budget at ${grouped(size)} rows`;
        console.log(`  ${stop}: larger sizes not reached`);
      }
    }
  } finally {
    run.load[1] = loadavg()[0]!;
    await r.close();
  }
}

const table = (header: string[], rows: string[][]) =>
  [
    `| ${header.join(' | ')} |`,
    `|${header.map((_, i) => (i < 2 ? ' --- ' : ' ---: ')).join('|')}|`,
    ...rows.map((cells) => `| ${cells.join(' | ')} |`),
  ].join('\n');

function report(run: StoreRun, o: Options): string {
  if (!run.sizes.length)
    return `### ${KINDS[run.kind]}\n\n- **Failed**: ${run.failure ?? 'no size run'}`;
  const measuredSizes = run.sizes.filter((s) => s.results.size);
  const first = measuredSizes[0];
  const last = measuredSizes[measuredSizes.length - 1];
  const ratio = run.kind === 'postgres' && first && last && first !== last;
  const header = ['operation', 'clients'];
  for (const s of run.sizes) header.push(`${grouped(s.size)}: p50 / p99 ms`, 'ops/s');
  if (ratio) header.push(`p50 ${grouped(last.size)} ÷ ${grouped(first.size)}`);

  const rows: string[][] = [];
  for (const clients of CONCURRENCY) {
    for (const op of OPERATIONS) {
      const cells = [op, String(clients)];
      for (const s of run.sizes) {
        const m = s.results.get(key(op, clients));
        if (!m) cells.push('not reached', '');
        else {
          const flags = [
            ...(m.cut ? [`${m.samples}/${o.ops} in budget`] : []),
            ...(m.errors ? [`${m.errors} errors`] : []),
          ];
          const note = flags.length ? ` (${flags.join(', ')})` : '';
          cells.push(`${ms(m.p50)} / ${ms(m.p99)}${note}`, grouped(Math.round(m.opsPerSecond)));
        }
      }
      if (ratio) {
        const a = first.results.get(key(op, clients));
        const b = last.results.get(key(op, clients));
        cells.push(a && b && a.samples && b.samples ? `${(b.p50 / a.p50).toFixed(2)}×` : '–');
      }
      rows.push(cells);
    }
  }

  const seeding = run.sizes
    .map((s) =>
      s.seedSeconds !== null
        ? `${grouped(s.size)} in ${s.seedSeconds.toFixed(1)} s`
        : `${grouped(s.size)} not seeded`,
    )
    .join('; ');
  const notes = [
    `Seeding (contacts and messages, each; cumulative): ${seeding}.`,
    `Later page: page ${run.sizes.map((s) => `${laterPage(s.size)} at ${grouped(s.size)}`).join(', ')} (${PAGE_LIMIT} a page).`,
    ...new Set(run.sizes.flatMap((s) => (s.stopped ? [`Stopped: ${s.stopped}.`] : []))),
    ...(run.failure ? [`**Failed**: ${run.failure}`] : []),
    ...(run.poolSize ? [`Connection pool: ${run.poolSize} (DATABASE_POOL_SIZE).`] : []),
    `Load average (1 min) on ${availableParallelism()} CPUs: ${run.load.map((l) => l.toFixed(1)).join(' at start, ')} at end.`,
  ];
  return [
    `### ${KINDS[run.kind]}`,
    '',
    table(header, rows),
    '',
    ...notes.map((n) => `- ${n}`),
  ].join('\n');
}

runMain(USAGE, async (argv, resources) => {
  const o = parseOptions(argv);
  console.log(
    `Store benchmark: sizes ${o.sizes.map(grouped).join(', ')}; ${o.ops} samples an operation; ` +
      `${availableParallelism()} CPUs; node ${process.version}; FerretDB budget ${o.budgetMs / 1000} s a size`,
  );
  const runs: StoreRun[] = [];
  for (const kind of o.stores) {
    const run: StoreRun = {
      kind,
      poolSize: null,
      load: [loadavg()[0]!, NaN],
      failure: null,
      sizes: [],
    };
    runs.push(run);
    try {
      await benchStore(run, o, resources);
    } catch (err) {
      run.failure = err instanceof Error ? err.message : String(err);
      console.error(`${KINDS[kind]} failed: ${run.failure}`);
    }
  }

  console.log(`\n## Store benchmark (p50 / p99 in ms; ops/s over all clients)\n`);
  console.log(runs.map((run) => report(run, o)).join('\n\n'));
  const errors =
    runs.some((run) => run.failure) ||
    runs.some((run) => run.sizes.some((s) => [...s.results.values()].some((m) => m.errors)));
  return errors ? 1 : 0;
});

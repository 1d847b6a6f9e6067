import { availableParallelism } from 'node:os';
import { createSandbox, type Isolation } from '../vm';
import type { ProcessEngine } from '../vm/process-engine';
import type { ActionContext, RunOutcome, Sandbox } from '../vm/types';
import { parseFlags, positiveInt, rssBytes, runMain, type Resources } from './support';

const USAGE = `Usage: node --no-node-snapshot dist/bench/actions.js [--seconds <n>] [--bombs <n>] [--timeouts <n>] [--offheap <n>] [--only offheap]

Measures the custom actions' sandbox (vm/), with isolates in a sandbox process (the default)
and in this process (inline), two isolates each:
  throughput   isolated runs a second of a trivial action, one run per call and 25 per call
               (a campaign batch), for --seconds each (default 3)
  overhead     one run at a time: its latency against calling the same function directly
  timeout      how far past the 5 s limit a busy loop and a never-settling promise end
               (--timeouts of each, default 2)
  memory       the largest live data a run can hold under the 10 MB limit
  bombs        resident memory of the process holding the isolates before and after --bombs
               memory-bomb runs (default 1,000)
  off-heap     sandbox processes only, 1 s limit: --offheap runs (default 1,000) shared by
               memory outside the V8 heap (Intl objects, BigInt squaring, regexp compilation,
               flattened strings): peak and after-run RSS of the sandbox processes, this
               process's RSS before and after; then another organization's runs during
               crashers' runs, and how many of them were lost (must be 0)`;

const CONTEXT: ActionContext = {
  contact: { name: 'Asha', phone_number: '+919876543210', tags: ['vip'] },
  message: null,
  agent: null,
  organization: { id: 'org', name: 'Acme' },
  input: null,
};
const TRIVIAL =
  "return { greeting: `Hello ${contact.name}`, phone: contact.phone_number.replace('+91', '0') }";
const BOMB = 'const a = []; while (true) a.push(new Array(100000).fill(1.5));';
const MB = 1024 * 1024;

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function check(o: RunOutcome, want: string) {
  const got = o.ok ? 'ok' : o.error.type;
  if (got !== want) throw new Error(`expected ${want}, got ${got}: ${JSON.stringify(o)}`);
}

/** Runs a second for `seconds`, `inFlight` calls at a time, each of `perCall` runs. */
async function throughput(sb: Sandbox, seconds: number, perCall: number, inFlight: number) {
  const contexts = Array.from({ length: perCall }, () => CONTEXT);
  const until = performance.now() + seconds * 1000;
  let runs = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < until) {
        const outcomes = await sb.runMany(TRIVIAL, contexts, `org-${runs % 4}`);
        for (const o of outcomes) check(o, 'ok');
        runs += outcomes.length;
      }
    }),
  );
  return runs / ((performance.now() - started) / 1000);
}

async function overhead(sb: Sandbox, n: number) {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    check(await sb.run({ code: TRIVIAL, context: CONTEXT, key: 'org' }), 'ok');
    samples.push(performance.now() - t);
  }
  samples.sort((a, b) => a - b);
  return { p50: samples[Math.floor(n / 2)]!, p99: samples[Math.floor(n * 0.99)]! };
}

/** The same function called directly in this process, per call (ms). */
async function direct(n: number) {
  const fn = async (contact: { name: string; phone_number: string }) => ({
    greeting: `Hello ${contact.name}`,
    phone: contact.phone_number.replace('+91', '0'),
  });
  const t = performance.now();
  for (let i = 0; i < n; i++) JSON.stringify(await fn(structuredClone(CONTEXT.contact) as never));
  return (performance.now() - t) / n;
}

async function overshoot(sb: Sandbox, code: string, n: number, limitMs: number) {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    check(await sb.run({ code, context: CONTEXT, key: 'org' }), 'timeout');
    out.push(performance.now() - t - limitMs);
  }
  return out;
}

/** Largest count of 1 KiB arrays a run holds (binary search). */
async function memoryPrecision(sb: Sandbox) {
  const fits = async (n: number) => {
    const o = await sb.run({
      // 128 doubles: 1 KiB of elements each (strings would be shared or cons strings).
      code: `const a = []; for (let i = 0; i < ${n}; i++) a.push(new Array(128).fill(i + 0.5)); return a.length`,
      context: CONTEXT,
      key: 'org',
    });
    return o.ok;
  };
  let lo = 0;
  let hi = 64 * 1024;
  while (hi - lo > 64) {
    const mid = Math.floor((lo + hi) / 2);
    if (await fits(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}

async function bombs(sb: Sandbox, n: number, pid: () => number) {
  // Warm: the isolates and their runs exist before the baseline.
  await throughput(sb, 1, 1, 4);
  global.gc?.();
  const before = rssBytes(pid()) ?? 0;
  const hostBefore = rssBytes(process.pid) ?? 0;
  let done = 0;
  let memoryErrors = 0;
  let peak = before;
  await Promise.all(
    Array.from({ length: 2 }, async () => {
      while (done < n) {
        done++;
        const o = await sb.run({ code: BOMB, context: CONTEXT, key: 'org' });
        if (!o.ok && o.error.type === 'memory') memoryErrors++;
        peak = Math.max(peak, rssBytes(pid()) ?? 0);
      }
    }),
  );
  await throughput(sb, 1, 1, 4);
  global.gc?.();
  return {
    before,
    peak,
    after: rssBytes(pid()) ?? 0,
    memoryErrors,
    host: { before: hostBefore, after: rssBytes(process.pid) ?? 0 },
  };
}

const OFF_HEAP: Record<string, string> = {
  intl: 'const a = []; for (;;) a.push(new Intl.DateTimeFormat("en", { timeZone: "UTC" }))',
  bigint: 'let x = 3n; for (;;) x = x * x;',
  regexp:
    "const a = []; for (let i = 0; ; i++) a.push(new RegExp(('(a|b' + i + ')+c').repeat(40)).test('ab'))",
  strings:
    "const a = []; for (let i = 0; ; i++) { let s = 'x'; for (let j = 0; j < 18; j++) s += s + i; a.push(s.indexOf('z')); }",
};
const CRASHERS = [
  'return new Array(1e8).fill(0).length',
  'const a = []; a[2 ** 32 - 2] = 1; return a.indexOf(7)',
  "const s = 'a'.repeat(4e6); return s.localeCompare(s + 'b')",
  'let x = 3n; for (;;) x = x * x;',
];

/** The sandbox processes' RSS, sampled every 50 ms while `work` runs: the peak. */
async function sampled<T>(engine: ProcessEngine, work: Promise<T>) {
  let peak = 0;
  const timer = setInterval(() => {
    for (const p of engine.running) peak = Math.max(peak, (p.pid && rssBytes(p.pid)) || 0);
  }, 50);
  try {
    return { value: await work, peak };
  } finally {
    clearInterval(timer);
  }
}

async function offHeap(runs: number) {
  const sb = createSandbox({ limits: { poolSize: 2, timeoutMs: 1_000 } });
  const engine = sb.engine as ProcessEngine;
  const rssNow = () => Math.max(0, ...engine.running.map((p) => (p.pid && rssBytes(p.pid)) || 0));
  try {
    await throughput(sb, 1, 1, 2);
    global.gc?.();
    const host = rssBytes(process.pid) ?? 0;
    const cases = Object.entries(OFF_HEAP);
    // Peak and after: of the largest sandbox process.
    const rows: { name: string; runs: number; peak: number; after: number; outcomes: string }[] =
      [];
    for (const [name, code] of cases) {
      const n = Math.ceil(runs / cases.length);
      const tally = new Map<string, number>();
      let started = 0;
      const { peak } = await sampled(
        engine,
        Promise.all(
          Array.from({ length: 2 }, async () => {
            while (started < n) {
              started++;
              const o = await sb.run({ code, context: CONTEXT, key: `org-${started % 2}` });
              const t = o.ok ? 'ok' : o.error.type;
              tally.set(t, (tally.get(t) ?? 0) + 1);
            }
          }),
        ),
      );
      check(await sb.run({ code: TRIVIAL, context: CONTEXT, key: 'org-0' }), 'ok');
      rows.push({
        name,
        runs: n,
        peak,
        after: rssNow(),
        outcomes: [...tally].map(([k, v]) => `${v} ${k}`).join(', '),
      });
    }
    global.gc?.();
    const hostAfter = rssBytes(process.pid) ?? 0;
    // Another organization's runs while crashers run: none may be lost.
    let foreign = 0;
    let lost = 0;
    let crashed = 0;
    await Promise.all([
      (async () => {
        for (const code of CRASHERS) {
          const o = await sb.run({ code, context: CONTEXT, key: 'crasher' });
          if (!o.ok && o.error.type === 'crashed') crashed++;
        }
      })(),
      (async () => {
        for (let i = 0; i < 400; i++) {
          const o = await sb.run({ code: TRIVIAL, context: CONTEXT, key: 'bystander' });
          foreign++;
          if (!o.ok) lost++;
        }
      })(),
    ]);
    return { rows, host, hostAfter, foreign, lost, crashed };
  } finally {
    await sb.close();
  }
}

async function measure(
  isolation: Isolation,
  o: { seconds: number; bombs: number; timeouts: number },
) {
  const sb = createSandbox({ isolation, limits: { poolSize: 2 } });
  const pid = () =>
    isolation === 'process' ? ((sb.engine as ProcessEngine).pid ?? process.pid) : process.pid;
  try {
    check(await sb.run({ code: TRIVIAL, context: CONTEXT, key: 'org' }), 'ok');
    const single = await throughput(sb, o.seconds, 1, 16);
    const batched = await throughput(sb, o.seconds, 25, 4);
    const latency = await overhead(sb, 2_000);
    const loop = await overshoot(sb, 'while (true) {}', o.timeouts, 5_000);
    const pending = await overshoot(sb, 'await new Promise(() => {})', o.timeouts, 5_000);
    const strings = await memoryPrecision(sb);
    const rss = await bombs(sb, o.bombs, pid);
    return { isolation, single, batched, latency, loop, pending, strings, rss };
  } finally {
    await sb.close();
  }
}

async function main(argv: string[], _r: Resources): Promise<number> {
  const flags = parseFlags(argv, {
    seconds: '3',
    bombs: '1000',
    timeouts: '2',
    offheap: '1000',
    only: '',
  });
  const o = {
    seconds: positiveInt(flags.seconds, '--seconds'),
    bombs: positiveInt(flags.bombs, '--bombs'),
    timeouts: positiveInt(flags.timeouts, '--timeouts'),
  };
  const directMs = await direct(200_000);
  console.log(
    `Custom actions sandbox on ${availableParallelism()} cores, 2 isolates, limits 5 s / 10 MB.\n` +
      `Direct call of the same function in this process: ${fmt(directMs * 1000, 2)} µs.\n`,
  );
  const off = await offHeap(positiveInt(flags.offheap, '--offheap'));
  console.log('off-heap memory, sandbox processes (1 s limit, a process per organization)');
  for (const r of off.rows) {
    console.log(
      `  ${r.name.padEnd(8)} ${fmt(r.runs)} runs: sandbox RSS peak ${fmt(r.peak / MB, 1)} MB, ` +
        `after ${fmt(r.after / MB, 1)} MB (${r.outcomes})`,
    );
  }
  console.log(
    `  RSS of this process:            ${fmt(off.host / MB, 1)} MB before, ${fmt(off.hostAfter / MB, 1)} MB after`,
  );
  console.log(
    `  another organization's crashes: ${off.crashed} of ${CRASHERS.length} crashers crashed; ` +
      `${fmt(off.foreign)} foreign runs meanwhile, ${off.lost} lost\n`,
  );
  if (flags.only === 'offheap') return 0;
  for (const isolation of ['process', 'inline'] as const) {
    const f = await measure(isolation, o);
    const over = (xs: number[]) => xs.map((x) => `${fmt(x, 1)} ms`).join(', ');
    console.log(`isolates ${isolation === 'process' ? 'in a sandbox process' : 'in this process'}`);
    console.log(`  runs/s, one run per call:       ${fmt(f.single)}`);
    console.log(`  runs/s, 25 runs per call:       ${fmt(f.batched)}`);
    console.log(
      `  one run at a time:              p50 ${fmt(f.latency.p50, 2)} ms, p99 ${fmt(f.latency.p99, 2)} ms ` +
        `(overhead over a direct call: ${fmt(f.latency.p50 - directMs, 2)} ms at p50)`,
    );
    console.log(`  timeout overshoot, busy loop:   ${over(f.loop)}`);
    console.log(`  timeout overshoot, pending:     ${over(f.pending)}`);
    console.log(
      `  memory: largest live data held: ${fmt(f.strings)} arrays of 1 KiB (~${fmt(f.strings / 1024, 1)} MiB) under 10 MB`,
    );
    console.log(
      `  RSS over ${fmt(o.bombs)} memory bombs:  ${fmt(f.rss.before / MB, 1)} MB before, peak ` +
        `${fmt(f.rss.peak / MB, 1)} MB, ${fmt(f.rss.after / MB, 1)} MB after ` +
        `(${fmt(f.rss.memoryErrors)} memory errors)`,
    );
    if (isolation === 'process') {
      console.log(
        `  RSS of this process meanwhile:  ${fmt(f.rss.host.before / MB, 1)} MB before, ` +
          `${fmt(f.rss.host.after / MB, 1)} MB after`,
      );
    }
    console.log('');
  }
  return 0;
}

runMain(USAGE, main);

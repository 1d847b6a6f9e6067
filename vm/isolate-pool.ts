import ivm from 'isolated-vm';
import { readAnswer } from './envelope';
import { ACTION_FILENAME, preludeSource, wrapAction } from './prelude';
import { checkSyntax, fromCompileError } from './syntax';
import type { RunError, RunOutcome, SandboxLimits } from './types';

/** Compiled actions kept per isolate. */
const SCRIPT_CACHE = 64;
/** An isolate is replaced after this many runs, or when a run leaves its heap this full. */
const RUNS_PER_ISOLATE = 5_000;
const HEAP_CHECK_EVERY = 64;
const HEAP_RECYCLE_SHARE = 0.6;

interface Slot {
  isolate: ivm.Isolate;
  prelude: ivm.Script;
  scripts: Map<string, ivm.Script>;
  runs: number;
}

const failed = (error: RunError, durationMs: number): RunOutcome => ({
  ok: false,
  error,
  logs: [],
  durationMs,
});

const limitError = (type: 'timeout' | 'memory', limits: SandboxLimits): RunError =>
  type === 'timeout'
    ? {
        type,
        message: `The action ran longer than ${limits.timeoutMs} ms`,
        line: null,
        column: null,
      }
    : {
        type,
        message: `The action used more than ${limits.memoryMb} MB of memory`,
        line: null,
        column: null,
      };

/**
 * Isolates for this process, one run at a time on each. Every run gets a fresh context (its
 * own globals), so nothing an action leaves behind reaches the next run; what the isolate
 * keeps between runs is compiled code. A run that hits a limit takes its isolate with it: the
 * next run gets a new one.
 */
export class IsolatePool {
  private readonly free: Slot[] = [];
  private readonly waiting: ((slot: Slot) => void)[] = [];
  private created = 0;
  private closed = false;

  constructor(
    private readonly limits: SandboxLimits,
    private readonly onCatastrophicError: (message: string) => void = () => {},
  ) {}

  private newSlot(): Slot {
    const isolate = new ivm.Isolate({
      memoryLimit: this.limits.memoryMb,
      onCatastrophicError: this.onCatastrophicError,
    });
    const prelude = isolate.compileScriptSync(preludeSource(this.limits), {
      filename: 'runner.js',
    });
    return { isolate, prelude, scripts: new Map(), runs: 0 };
  }

  private async acquire(): Promise<Slot> {
    if (this.closed) throw new Error('The sandbox is closed');
    const slot = this.free.pop();
    if (slot) return slot;
    if (this.created < this.limits.poolSize) {
      this.created++;
      return this.newSlot();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(slot: Slot): void {
    let next = slot;
    if (slot.isolate.isDisposed || slot.runs >= RUNS_PER_ISOLATE) {
      if (!slot.isolate.isDisposed) slot.isolate.dispose();
      next = this.newSlot();
    }
    const waiter = this.waiting.shift();
    if (waiter) waiter(next);
    else if (this.closed) next.isolate.dispose();
    else this.free.push(next);
  }

  private async withSlot<T>(fn: (slot: Slot) => Promise<T>): Promise<T> {
    const slot = await this.acquire();
    try {
      return await fn(slot);
    } finally {
      this.release(slot);
    }
  }

  check(code: string): Promise<RunError | null> {
    return this.withSlot((slot) => checkSyntax(slot.isolate, code));
  }

  /** Runs the code for one context (JSON text). */
  run(code: string, context: string): Promise<RunOutcome> {
    return this.withSlot(async (slot) => {
      if (slot.isolate.isDisposed) Object.assign(slot, this.newSlot());
      return this.runOne(slot, code, context);
    });
  }

  private async script(slot: Slot, code: string): Promise<ivm.Script> {
    let script = slot.scripts.get(code);
    if (script) {
      // Most recently used last: the first key is the one to drop.
      slot.scripts.delete(code);
    } else {
      script = await slot.isolate.compileScript(wrapAction(code), {
        filename: ACTION_FILENAME,
        lineOffset: -1,
      });
      if (slot.scripts.size >= SCRIPT_CACHE) {
        const oldest = slot.scripts.keys().next().value as string;
        slot.scripts.get(oldest)?.release();
        slot.scripts.delete(oldest);
      }
    }
    slot.scripts.set(code, script);
    return script;
  }

  private async runOne(slot: Slot, code: string, contextJson: string): Promise<RunOutcome> {
    const started = performance.now();
    const elapsed = () => Math.round((performance.now() - started) * 100) / 100;
    const remaining = () =>
      Math.max(1, Math.ceil(this.limits.timeoutMs - (performance.now() - started)));
    slot.runs++;
    let script: ivm.Script;
    try {
      script = await this.script(slot, code);
    } catch (err) {
      return failed(fromCompileError(err), elapsed());
    }
    const { isolate } = slot;
    let timedOut = false;
    // ivm's own timeout stops running code; this one also ends a run that waits forever
    // (a promise that never settles), by throwing its isolate away.
    const timer = setTimeout(() => {
      timedOut = true;
      if (!isolate.isDisposed) isolate.dispose();
    }, this.limits.timeoutMs);
    const context = await isolate.createContext().catch(() => null);
    const refs: ivm.Reference[] = [];
    try {
      if (!context) throw new Error('Isolate was disposed');
      const runner = await slot.prelude.run(context, { reference: true, timeout: remaining() });
      refs.push(runner);
      const fn = await script.run(context, { reference: true, timeout: remaining() });
      refs.push(fn);
      const raw: unknown = await runner.apply(undefined, [fn.derefInto(), contextJson], {
        result: { promise: true },
        timeout: remaining(),
      });
      const answer = readAnswer(raw, this.limits);
      return { ...answer, durationMs: elapsed() };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (/memory limit/i.test(message))
        return failed(limitError('memory', this.limits), elapsed());
      if (timedOut || /timed out/i.test(message)) {
        // A run stopped mid-way may leave work queued in its isolate: start afresh.
        if (!isolate.isDisposed) isolate.dispose();
        return failed(limitError('timeout', this.limits), elapsed());
      }
      if (isolate.isDisposed) return failed(limitError('memory', this.limits), elapsed());
      return failed({ type: 'runtime', message, line: null, column: null }, elapsed());
    } finally {
      clearTimeout(timer);
      for (const ref of refs) ref.release();
      if (context && !isolate.isDisposed) context.release();
      if (!isolate.isDisposed && slot.runs % HEAP_CHECK_EVERY === 0) {
        const heap = isolate.getHeapStatisticsSync();
        if (heap.used_heap_size > heap.heap_size_limit * HEAP_RECYCLE_SHARE) isolate.dispose();
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const slot of this.free.splice(0)) if (!slot.isolate.isDisposed) slot.isolate.dispose();
  }
}

import type { Engine } from './engine';
import { BusyError, FairGate } from './gate';
import { inlineEngine } from './inline-engine';
import { ProcessEngine, SandboxCrashedError } from './process-engine';
import { syntaxError } from './syntax';
import {
  DEFAULT_LIMITS,
  DEFAULT_PROCESS_LIMITS,
  type ActionContext,
  type ProcessLimits,
  type RunError,
  type RunErrorType,
  type RunOutcome,
  type Sandbox,
  type SandboxLimits,
} from './types';

export * from './types';

/** `process`: isolates in sandbox processes of their own (the default); `inline`: in this one. */
export type Isolation = 'process' | 'inline';

export interface SandboxOptions {
  limits?: Partial<SandboxLimits>;
  processes?: Partial<ProcessLimits>;
  isolation?: Isolation;
  /** Where what could not be enforced is said (no cgroup, no user switch). */
  log?: (message: string) => void;
}

const failure = (type: RunErrorType, message: string): RunOutcome => ({
  ok: false,
  error: { type, message, line: null, column: null },
  logs: [],
  durationMs: 0,
});

/** Errors after which the rest of a batch is not run: the next runs would most likely do the same. */
const STOPS_BATCH = new Set<RunErrorType>(['timeout', 'memory', 'crashed']);

/**
 * The sandbox for custom actions: isolated-vm isolates with a time limit (asynchronous work
 * included), a memory limit, capped output and logs, a fresh context per run, and runs shared
 * fairly between organizations, one run at a time through the gate.
 */
export function createSandbox(opts: SandboxOptions = {}): Sandbox & { engine: Engine } {
  const limits: SandboxLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  const engine: Engine =
    opts.isolation === 'inline'
      ? inlineEngine(limits)
      : new ProcessEngine(
          limits,
          { ...DEFAULT_PROCESS_LIMITS, ...opts.processes },
          opts.log ?? ((m) => console.warn(m)),
        );
  const gate = new FairGate(limits.poolSize, limits.maxQueuedPerKey);
  const tooLong = (code: string): RunError | null =>
    code.length > limits.maxCodeChars
      ? syntaxError(`The code is longer than ${limits.maxCodeChars} characters`)
      : null;

  async function runOne(code: string, context: ActionContext, key: string): Promise<RunOutcome> {
    try {
      await gate.enter(key);
    } catch (err) {
      if (err instanceof BusyError) return failure('busy', err.message);
      throw err;
    }
    try {
      return await engine.run(code, JSON.stringify(context), key);
    } catch (err) {
      if (err instanceof SandboxCrashedError) return failure('crashed', err.message);
      throw err;
    } finally {
      gate.leave();
    }
  }

  async function runMany(code: string, contexts: ActionContext[], key: string) {
    const long = tooLong(code);
    if (long) return contexts.map(() => failure('syntax', long.message));
    const outcomes: RunOutcome[] = [];
    for (const context of contexts) {
      const o = await runOne(code, context, key);
      outcomes.push(o);
      if (!o.ok && (STOPS_BATCH.has(o.error.type) || o.error.type === 'busy')) {
        const rest =
          o.error.type === 'busy'
            ? failure('busy', o.error.message)
            : failure(
                'skipped',
                `Not run: an earlier run of the batch failed (${o.error.message})`,
              );
        while (outcomes.length < contexts.length) outcomes.push(rest);
        break;
      }
    }
    return outcomes;
  }

  return {
    engine,
    async check(code) {
      const long = tooLong(code);
      if (long) return long;
      try {
        return await engine.check(code);
      } catch (err) {
        if (err instanceof SandboxCrashedError) {
          return { type: 'crashed', message: err.message, line: null, column: null };
        }
        throw err;
      }
    },
    async run(request) {
      const long = tooLong(request.code);
      if (long) return failure('syntax', long.message);
      return runOne(request.code, request.context, request.key);
    },
    runMany,
    close: () => engine.close(),
  };
}

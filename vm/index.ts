import type { Engine } from './engine';
import { BusyError, FairGate } from './gate';
import { inlineEngine } from './inline-engine';
import { ProcessEngine, SandboxCrashedError } from './process-engine';
import { syntaxError } from './syntax';
import {
  DEFAULT_LIMITS,
  type ActionContext,
  type RunError,
  type RunErrorType,
  type RunOutcome,
  type Sandbox,
  type SandboxLimits,
} from './types';

export * from './types';

/** `process`: isolates in a sandbox process of their own (the default); `inline`: in this one. */
export type Isolation = 'process' | 'inline';

export interface SandboxOptions {
  limits?: Partial<SandboxLimits>;
  isolation?: Isolation;
}

const failure = (type: RunErrorType, message: string): RunOutcome => ({
  ok: false,
  error: { type, message, line: null, column: null },
  logs: [],
  durationMs: 0,
});

/**
 * The sandbox for custom actions: isolated-vm isolates with a time limit (asynchronous work
 * included), a memory limit, capped output and logs, a fresh context per run, and runs shared
 * fairly between organizations.
 */
export function createSandbox(opts: SandboxOptions = {}): Sandbox & { engine: Engine } {
  const limits: SandboxLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  const engine: Engine =
    opts.isolation === 'inline' ? inlineEngine(limits) : new ProcessEngine(limits);
  const gate = new FairGate(limits.poolSize, limits.maxQueuedPerKey);
  const tooLong = (code: string): RunError | null =>
    code.length > limits.maxCodeChars
      ? syntaxError(`The code is longer than ${limits.maxCodeChars} characters`)
      : null;

  async function runMany(code: string, contexts: ActionContext[], key: string) {
    const long = tooLong(code);
    if (long) return contexts.map(() => ({ ...failure('syntax', long.message) }));
    try {
      await gate.enter(key);
    } catch (err) {
      if (err instanceof BusyError) return contexts.map(() => failure('busy', err.message));
      throw err;
    }
    try {
      return await engine.run(
        code,
        contexts.map((c) => JSON.stringify(c)),
      );
    } catch (err) {
      if (err instanceof SandboxCrashedError) {
        return contexts.map(() => failure('crashed', err.message));
      }
      throw err;
    } finally {
      gate.leave();
    }
  }

  return {
    engine,
    async check(code) {
      return tooLong(code) ?? (await engine.check(code));
    },
    async run(request) {
      return (await runMany(request.code, [request.context], request.key))[0]!;
    },
    runMany,
    close: () => engine.close(),
  };
}

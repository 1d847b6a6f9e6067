import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Engine } from './engine';
import type { RunError, RunOutcome, SandboxLimits } from './types';

const HANG_GRACE_MS = 5_000;
/** How a V8 fatal error ends a process: an abort, or V8's own trap (most of them on Node 24). */
const V8_FATAL_SIGNALS: readonly string[] = ['SIGABRT', 'SIGTRAP'];

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
}

/** The sandbox process crashed (a V8 fatal error, a kill) while these runs were in it. */
export class SandboxCrashedError extends Error {}

/** Node flags of the sandbox process: isolated-vm needs the snapshot off. */
function hostEntry(): { path: string; execArgv: string[] } {
  const js = join(__dirname, 'process-host.js');
  if (existsSync(js)) return { path: js, execArgv: ['--no-node-snapshot'] };
  // From the TypeScript sources (tests): tsx compiles the entry.
  return {
    path: join(__dirname, 'process-host.ts'),
    execArgv: ['--no-node-snapshot', '--import', 'tsx'],
  };
}

/**
 * Runs isolates in a child process, started on first use and again after it dies. It gets no
 * environment beyond what Node needs: no database URL, key or token is in reach even if an
 * action escaped its isolate.
 */
export class ProcessEngine implements Engine {
  private child: ChildProcess | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(private readonly limits: SandboxLimits) {}

  private spawn(): ChildProcess {
    const { path, execArgv } = hostEntry();
    const child = fork(path, [], {
      execArgv,
      env: { PATH: process.env.PATH ?? '', WAFLOW_VM_LIMITS: JSON.stringify(this.limits) },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    child.on('message', (m: { id: number; value?: unknown; error?: string }) => {
      const waiter = this.pending.get(m.id);
      if (!waiter) return;
      this.pending.delete(m.id);
      this.idle();
      if (m.error !== undefined) waiter.reject(new Error(m.error));
      else waiter.resolve(m.value);
    });
    child.on('exit', (code, signal) => {
      if (this.child === child) this.child = null;
      const lost = [...this.pending.values()];
      this.pending.clear();
      const err = new SandboxCrashedError(
        signal && V8_FATAL_SIGNALS.includes(signal)
          ? 'The sandbox process aborted on a V8 fatal error (such as one allocation far ' +
              'beyond the memory limit); runs in it at the time were lost'
          : `The sandbox process exited (${signal ?? code})`,
      );
      for (const waiter of lost) waiter.reject(err);
    });
    child.on('error', () => undefined);
    return child;
  }

  /** Keeps this process alive only while it waits for answers. */
  private idle(): void {
    if (this.pending.size === 0) {
      this.child?.unref();
      this.child?.channel?.unref();
    }
  }

  private call<T>(message: { op: 'check' | 'run'; code: string; contexts?: string[] }): Promise<T> {
    const child = (this.child ??= this.spawn());
    child.ref();
    child.channel?.ref();
    const id = this.nextId++;
    // The process enforces every limit itself; past this, it is stuck and is replaced.
    const deadline =
      this.limits.timeoutMs * Math.max(1, message.contexts?.length ?? 1) + HANG_GRACE_MS;
    const watchdog = setTimeout(() => child.kill('SIGKILL'), deadline);
    return new Promise<T>((resolve, reject) => {
      const settle = { resolve: resolve as (v: unknown) => void, reject };
      this.pending.set(id, {
        resolve: (v) => (clearTimeout(watchdog), settle.resolve(v)),
        reject: (e) => (clearTimeout(watchdog), settle.reject(e)),
      });
      child.send({ id, ...message }, (err) => {
        if (err && this.pending.delete(id)) {
          this.idle();
          reject(new SandboxCrashedError(`The sandbox process is gone: ${err.message}`));
        }
      });
    });
  }

  check(code: string): Promise<RunError | null> {
    return this.call({ op: 'check', code });
  }

  run(code: string, contexts: string[]): Promise<RunOutcome[]> {
    return this.call({ op: 'run', code, contexts });
  }

  /** The sandbox process's id, when it runs (tests kill it). */
  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  async close(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    // Held until it is gone: an idle child is unreferenced, and this process must wait.
    child.ref();
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
}

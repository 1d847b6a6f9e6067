import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Confinement } from './confinement';
import type { RunError, RunOutcome, SandboxLimits } from './types';

/** Past a run's time limit, how long a process that does not answer gets before it is killed. */
export const HANG_GRACE_MS = 2_000;
/** How a V8 fatal error ends a process: an abort, or V8's own trap (most of them on Node 24). */
const V8_FATAL_SIGNALS: readonly string[] = ['SIGABRT', 'SIGTRAP'];
const CHECK_DEADLINE_MS = 2_000;

/** The sandbox process died (a V8 fatal error, its memory cap, a kill) while a call was in it. */
export class SandboxCrashedError extends Error {
  constructor(
    message: string,
    /** This call caused it (it ran past its deadline, or was alone in the process). */
    readonly culprit: boolean,
  ) {
    super(message);
  }
}

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
  overdue: boolean;
}

/** Node flags of the sandbox process: isolated-vm on Node 20+ needs the snapshot off. */
function hostEntry(): { path: string; execArgv: string[] } {
  const js = join(__dirname, 'process-host.js');
  if (existsSync(js)) return { path: js, execArgv: ['--no-node-snapshot'] };
  // From the TypeScript sources (tests): tsx compiles the entry.
  return {
    path: join(__dirname, 'process-host.ts'),
    execArgv: ['--no-node-snapshot', '--import', 'tsx'],
  };
}

function exitMessage(signal: NodeJS.Signals | null, code: number | null, overdue: boolean) {
  if (overdue) {
    return (
      'The action ran past its time limit without yielding (some built-ins ignore the limit), ' +
      'so its sandbox process was stopped'
    );
  }
  if (signal && V8_FATAL_SIGNALS.includes(signal)) {
    return (
      'The sandbox process aborted on a V8 fatal error (such as one allocation far beyond the ' +
      'memory limit, or memory outside the heap beyond its cap)'
    );
  }
  if (signal === 'SIGKILL') return 'The sandbox process was killed (its memory cap, or a kill)';
  return `The sandbox process exited (${signal ?? code})`;
}

/**
 * One sandbox process: isolates away from the API and the worker, so that a V8 fatal error
 * (which aborts a whole process) takes only this process down. It starts with an empty
 * environment, under the confinement's memory cap and user. Every call has a deadline (the
 * time limit and a grace): a run that holds its thread past it (some built-ins never check
 * the time limit) gets the process killed.
 */
export class SandboxProcess {
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private cleanup: () => void = () => undefined;
  /** Resident memory after its last answer (bytes). */
  rss = 0;
  exited = false;
  /** Replaced: takes no new call and ends when its last one is answered. */
  retiring = false;

  constructor(
    private readonly limits: SandboxLimits,
    confinement: Confinement,
    private readonly onExit: (p: SandboxProcess) => void,
  ) {
    const { path, execArgv } = hostEntry();
    const { file, args } = confinement.command(process.execPath, [
      ...execArgv,
      path,
      JSON.stringify(limits),
    ]);
    this.child = spawn(file, args, {
      env: {},
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      serialization: 'advanced',
      uid: confinement.uid,
      gid: confinement.gid,
    });
    const pid = this.child.pid;
    if (pid !== undefined) {
      try {
        this.cleanup = confinement.attach(pid);
      } catch {
        // The cgroup could not be made now: the process runs without it rather than not at all.
      }
    }
    this.child.on('message', (m: { id: number; value?: unknown; rss?: number; error?: string }) => {
      const waiter = this.pending.get(m.id);
      if (!waiter) return;
      this.pending.delete(m.id);
      if (typeof m.rss === 'number') this.rss = m.rss;
      this.idle();
      if (m.error !== undefined) waiter.reject(new Error(m.error));
      else waiter.resolve(m.value);
    });
    this.child.on('exit', (code, signal) => this.exit(code, signal));
    this.child.on('error', () => this.exit(null, null));
    this.idle();
  }

  private exit(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.exited) return;
    this.exited = true;
    this.cleanup();
    const lost = [...this.pending.values()];
    this.pending.clear();
    const someOverdue = lost.some((w) => w.overdue);
    for (const waiter of lost) {
      const culprit = waiter.overdue || (!someOverdue && lost.length === 1);
      waiter.reject(new SandboxCrashedError(exitMessage(signal, code, waiter.overdue), culprit));
    }
    this.onExit(this);
  }

  /** Keeps this process alive only while it waits for answers. */
  private idle(): void {
    if (this.pending.size > 0) return;
    if (this.retiring) {
      this.kill();
      return;
    }
    this.child.unref();
    this.child.channel?.unref();
  }

  get pid(): number | null {
    return this.child.pid ?? null;
  }

  get busy(): number {
    return this.pending.size;
  }

  private call<T>(message: object, deadlineMs: number): Promise<T> {
    if (this.exited) {
      return Promise.reject(new SandboxCrashedError('The sandbox process is gone', false));
    }
    this.child.ref();
    this.child.channel?.ref();
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const waiter: Pending = {
        resolve: (v) => (clearTimeout(watchdog), resolve(v as T)),
        reject: (e) => (clearTimeout(watchdog), reject(e)),
        overdue: false,
      };
      const watchdog = setTimeout(() => {
        waiter.overdue = true;
        this.kill();
      }, deadlineMs);
      this.pending.set(id, waiter);
      this.child.send({ id, ...message }, (err) => {
        if (err && this.pending.delete(id)) {
          this.idle();
          waiter.reject(
            new SandboxCrashedError(`The sandbox process is gone: ${err.message}`, false),
          );
        }
      });
    });
  }

  check(code: string): Promise<RunError | null> {
    return this.call({ op: 'check', code }, CHECK_DEADLINE_MS);
  }

  run(code: string, context: string): Promise<RunOutcome> {
    return this.call({ op: 'run', code, context }, this.limits.timeoutMs + HANG_GRACE_MS);
  }

  /** Takes no new call; ends once its calls are answered. */
  retire(): void {
    this.retiring = true;
    this.idle();
  }

  kill(): void {
    if (!this.exited) this.child.kill('SIGKILL');
  }

  /** Kills it and waits until it is gone. */
  async close(): Promise<void> {
    if (this.exited) return;
    // Held until it is gone: an idle child is unreferenced, and this process must wait.
    this.child.ref();
    const gone = new Promise((resolve) => this.child.once('exit', resolve));
    this.kill();
    await gone;
  }
}

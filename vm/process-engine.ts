import type { Engine } from './engine';
import { confinement, type Confinement } from './confinement';
import { SandboxCrashedError, SandboxProcess } from './sandbox-process';
import type { ProcessLimits, RunError, RunOutcome, SandboxLimits } from './types';

export { SandboxCrashedError } from './sandbox-process';

/** The key of the process that checks code on save: no organization's runs share it. */
const CHECKS = '\0checks';
const MB = 1024 * 1024;

/**
 * Isolates in sandbox processes, a process per organization: one organization's crash (a V8
 * fatal error, its memory cap, a run killed at its deadline) never loses another's runs. At
 * most `maxProcesses` are kept (never fewer than the runs the gate lets in at once, so one is
 * always idle when a new organization comes): the least recently used idle one makes room.
 * A run lost to a crash it did not cause is run again once, in a process of its own. A
 * process whose resident memory is above `recycleRssMb` after a run is replaced.
 */
export class ProcessEngine implements Engine {
  private readonly processes = new Map<string, SandboxProcess>();
  private readonly retired = new Set<SandboxProcess>();
  private closed = false;
  private confined: Confinement | null = null;
  /**
   * Started processes no organization has used yet, one per slot of the gate: a new
   * organization's first run takes one instead of waiting for a process to start.
   */
  private spares: SandboxProcess[] = [];

  constructor(
    private readonly limits: SandboxLimits,
    private readonly processLimits: ProcessLimits,
    private readonly log: (message: string) => void,
  ) {}

  private confinement(): Confinement {
    if (!this.confined) {
      this.confined = confinement(this.processLimits, this.limits.poolSize);
      for (const fallback of this.confined.fallbacks) this.log(fallback);
    }
    return this.confined;
  }

  private start(): SandboxProcess {
    return new SandboxProcess(this.limits, this.confinement(), (p) => {
      this.spares = this.spares.filter((q) => q !== p);
      this.retired.delete(p);
      for (const [key, q] of this.processes) if (q === p) this.processes.delete(key);
    });
  }

  private processFor(key: string): SandboxProcess {
    const known = this.processes.get(key);
    this.processes.delete(key);
    if (known && !known.exited && !known.retiring) {
      this.processes.set(key, known);
      return known;
    }
    const room = Math.max(this.processLimits.maxProcesses, this.limits.poolSize + 1);
    if (this.processes.size >= room) {
      for (const [other, p] of this.processes) {
        if (p.busy) continue;
        this.processes.delete(other);
        void p.close();
        break;
      }
    }
    const fresh = this.spares.shift() ?? this.start();
    while (!this.closed && this.spares.length < this.limits.poolSize)
      this.spares.push(this.start());
    this.processes.set(key, fresh);
    return fresh;
  }

  private recycle(p: SandboxProcess): void {
    if (p.exited || p.retiring || p.rss <= this.processLimits.recycleRssMb * MB) return;
    for (const [key, q] of this.processes) if (q === p) this.processes.delete(key);
    this.retired.add(p);
    p.retire();
  }

  private async once(p: SandboxProcess, code: string, context: string): Promise<RunOutcome> {
    try {
      return await p.run(code, context);
    } finally {
      this.recycle(p);
    }
  }

  check(code: string): Promise<RunError | null> {
    return this.processFor(CHECKS).check(code);
  }

  async run(code: string, context: string, key: string): Promise<RunOutcome> {
    try {
      return await this.once(this.processFor(key), code, context);
    } catch (err) {
      if (!(err instanceof SandboxCrashedError) || err.culprit) throw err;
    }
    // Lost to another run's crash: once more, alone, so that a crasher cannot take it again.
    const alone = this.start();
    try {
      return await alone.run(code, context);
    } finally {
      void alone.close();
    }
  }

  /** The most recently used organization's sandbox process (tests kill it). */
  get pid(): number | null {
    const last = [...this.processes.values()].at(-1);
    return last && !last.exited ? last.pid : null;
  }

  /** The sandbox process of an organization, when it runs (tests kill it). */
  pidOf(key: string): number | null {
    const p = this.processes.get(key);
    return p && !p.exited ? p.pid : null;
  }

  /** Every sandbox process's id and resident memory after its last run. */
  get running(): { pid: number | null; rss: number }[] {
    return [...this.processes.values(), ...this.retired].map((p) => ({ pid: p.pid, rss: p.rss }));
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.processes.values(), ...this.retired, ...this.spares.splice(0)];
    this.processes.clear();
    this.retired.clear();
    await Promise.all(all.map((p) => p.close()));
  }
}

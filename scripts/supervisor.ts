import type { Managed } from './infra';

export interface SupervisorOptions {
  /** A child that crashes this often within `windowMs` is not restarted again. */
  maxCrashes?: number;
  windowMs?: number;
  /** The first restart waits this long, each further one in the window twice as long. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  now?: () => number;
  log: (msg: string) => void;
  /** Called when a child keeps crashing: the caller stops everything. */
  onGiveUp: (name: string) => void;
}

/**
 * Keeps the dev stack's own processes running: a child that exits unasked is started again
 * after a growing delay, and one that keeps crashing fast gives up (a real fault, not a blip).
 */
export function createSupervisor(o: SupervisorOptions) {
  const maxCrashes = o.maxCrashes ?? 5;
  const windowMs = o.windowMs ?? 60_000;
  const baseDelayMs = o.baseDelayMs ?? 1_000;
  const maxDelayMs = o.maxDelayMs ?? 30_000;
  const now = o.now ?? Date.now;
  const current = new Map<string, Managed>();
  const timers = new Set<NodeJS.Timeout>();
  let stopping = false;

  function supervise(name: string, start: () => Managed, crashes: number[] = []): Managed {
    const proc = start();
    current.set(name, proc);
    proc.child.once('exit', (code, signal) => {
      if (stopping) return;
      const at = now();
      const recent = [...crashes.filter((t) => at - t < windowMs), at];
      if (recent.length >= maxCrashes) {
        o.log(
          `${name} exited (${signal ?? code}) ${recent.length} times in ${windowMs / 1000} s; giving up`,
        );
        o.onGiveUp(name);
        return;
      }
      const delay = Math.min(baseDelayMs * 2 ** (recent.length - 1), maxDelayMs);
      o.log(`${name} exited (${signal ?? code}); restarting in ${delay / 1000} s`);
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (!stopping) supervise(name, start, recent);
      }, delay);
      timers.add(timer);
    });
    return proc;
  }

  return {
    supervise,
    /** The processes running now, newest last. */
    running: (): Managed[] => [...current.values()],
    async stop(): Promise<void> {
      stopping = true;
      for (const timer of timers) clearTimeout(timer);
      for (const proc of [...current.values()].reverse()) await proc.stop();
    },
  };
}

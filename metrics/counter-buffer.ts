import type { CounterRepository, CounterSample } from '../store/contract/counters';

export interface CounterBufferLog {
  warn(obj: object, msg: string): void;
}

export interface CounterBufferOptions {
  /** How often the deltas gathered are added to the store (default 5 s). */
  intervalMs?: number;
  log?: CounterBufferLog;
}

const DEFAULT_INTERVAL_MS = 5_000;

/** One counter's identity: its name and its labels, in name order. */
function keyOf(name: string, labels: Record<string, string>): string {
  const sorted = Object.keys(labels)
    .sort()
    .map((k) => [k, labels[k]]);
  return JSON.stringify([name, sorted]);
}

/**
 * Counter increments gathered in memory and added to the store's cluster-wide counters every
 * `intervalMs`, so counting costs hot paths (sends, webhook attempts) no database write. A
 * failed flush keeps its deltas for the next one: memory grows with the number of distinct
 * counters, never with the number of increments.
 */
export class CounterBuffer {
  private deltas = new Map<string, CounterSample>();
  private flushing: Promise<void> | null = null;
  private readonly timer: NodeJS.Timeout;
  private closed = false;
  private readonly log: CounterBufferLog | undefined;

  constructor(
    private readonly counters: CounterRepository,
    opts: CounterBufferOptions = {},
  ) {
    this.log = opts.log;
    this.timer = setInterval(() => {
      this.flush().catch((err: unknown) =>
        this.log?.warn({ err }, 'could not store counters; they are kept for the next flush'),
      );
    }, opts.intervalMs ?? DEFAULT_INTERVAL_MS);
    // Counting must never be what keeps a process alive.
    this.timer.unref();
  }

  inc(name: string, labels: Record<string, string>, by = 1): void {
    if (!(by > 0) || !Number.isFinite(by)) return;
    this.merge(keyOf(name, labels), { name, labels: { ...labels }, value: by });
  }

  /** Deltas not yet stored, one sample per counter. */
  pending(): CounterSample[] {
    return [...this.deltas.values()].map((s) => ({ ...s, labels: { ...s.labels } }));
  }

  /**
   * Adds the deltas gathered so far to the store. One flush at a time: a call during another
   * waits for it, then flushes what arrived meanwhile. Rejects when the store does, the deltas
   * kept for the next flush.
   */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing.catch(() => undefined);
    if (!this.deltas.size) return;
    const batch = this.deltas;
    this.deltas = new Map();
    const writing = (async () => {
      try {
        await this.counters.add([...batch.values()]);
      } catch (err) {
        for (const [key, sample] of batch) this.merge(key, sample);
        throw err;
      }
    })();
    this.flushing = writing;
    try {
      await writing;
    } finally {
      if (this.flushing === writing) this.flushing = null;
    }
  }

  /** Stops the timer and flushes once more; a failure then is logged, not thrown. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    try {
      await this.flush();
    } catch (err) {
      this.log?.warn({ err }, 'could not store the last counters');
    }
  }

  private merge(key: string, sample: CounterSample): void {
    const current = this.deltas.get(key);
    if (current) current.value += sample.value;
    else this.deltas.set(key, sample);
  }
}

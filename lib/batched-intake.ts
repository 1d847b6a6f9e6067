import { Linger } from './linger';

export interface BatchedIntakeOptions {
  /** Items per store write. */
  maxBatch: number;
  /** Stored docs per `process` call. */
  processBatch: number;
  /** `process` calls at once. */
  concurrency: number;
  /** Stored docs waiting in memory to be processed; past it new ones are left in the store. */
  maxQueued: number;
  /** Under load, how long a write may wait for more items, and how many make it full. */
  linger?: { ms: number; full: number };
}

export interface Saved<D, R> {
  /** The newly stored docs, to process. */
  docs: D[];
  /** What each item's `accept` resolves to, in the order given; undefined when left out. */
  results?: R[];
}

export interface BatchedIntakeHandlers<T, D, R> {
  /** Stores items in one write. */
  save(items: T[]): Promise<Saved<D, R>>;
  /** Processes stored docs; a rejection is ignored, so it handles its own failures. */
  process(docs: D[]): Promise<void>;
  /** Stored docs were not queued for lack of room. */
  dropped?(count: number): void;
  /** A `process` call ended and no longer counts as running. */
  processed?(): void;
  /** Work of the owner's own that `idle()` waits for too; the owner calls `settle()` after it. */
  busy?(): boolean;
}

interface Waiting<T, R> {
  item: T;
  resolve: (result: R) => void;
  reject: (err: unknown) => void;
}

/**
 * Stores items as they arrive, everything that arrived meanwhile in one write, and processes
 * the stored docs in the background: in batches of what queued meanwhile, a few at once.
 */
export class BatchedIntake<T, D, R = void> {
  private waiting: Waiting<T, R>[] = [];
  /** The flush loop is running: it takes what waits, one write at a time. */
  private flushing = false;
  private readonly queue: D[] = [];
  private active = 0;
  private idleWaiters: (() => void)[] = [];
  private readonly linger: Linger | null;

  constructor(
    private readonly handlers: BatchedIntakeHandlers<T, D, R>,
    private readonly opts: BatchedIntakeOptions,
  ) {
    this.linger = opts.linger ? new Linger(opts.linger.ms, opts.linger.full) : null;
  }

  /** Resolves once the item is stored. */
  accept(item: T): Promise<R> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (!this.flushing) {
        this.flushing = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  /** Queues stored docs for processing, as far as there is room. */
  enqueue(docs: D[]): void {
    const room = Math.max(0, this.opts.maxQueued - this.queue.length);
    if (docs.length > room) this.handlers.dropped?.(docs.length - room);
    this.queue.push(...docs.slice(0, room));
    this.pump();
  }

  /** True while stored docs are queued or being processed. */
  processing(): boolean {
    return this.active > 0 || this.queue.length > 0;
  }

  /** Resolves when everything accepted so far has been processed. */
  idle(): Promise<void> {
    if (!this.busy()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Resolves `idle()` waiters if nothing is left to do. */
  settle(): void {
    if (!this.busy()) this.idleWaiters.splice(0).forEach((r) => r());
  }

  private async flush(): Promise<void> {
    while (this.waiting.length) {
      await this.linger?.before(() => this.waiting.length);
      const batch = this.waiting.splice(0, this.opts.maxBatch);
      this.linger?.took(batch.length);
      try {
        const { docs, results } = await this.handlers.save(batch.map((w) => w.item));
        batch.forEach((w, i) => w.resolve(results?.[i] as R));
        this.enqueue(docs);
      } catch (err) {
        batch.forEach((w) => w.reject(err));
      }
    }
    this.flushing = false;
    this.settle();
  }

  private pump(): void {
    while (this.active < this.opts.concurrency && this.queue.length) {
      const batch = this.queue.splice(0, this.opts.processBatch);
      this.active++;
      void this.handlers
        .process(batch)
        .catch(() => undefined)
        .then(() => {
          this.active--;
          this.pump();
          this.handlers.processed?.();
          this.settle();
        });
    }
  }

  private busy(): boolean {
    return (
      this.flushing ||
      this.waiting.length > 0 ||
      this.processing() ||
      (this.handlers.busy?.() ?? false)
    );
  }
}

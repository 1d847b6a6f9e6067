import type { Store } from '../store';
import type { WooDeliveryDoc } from '../store/woocommerce';

interface Waiting {
  doc: WooDeliveryDoc;
  resolve: (created: boolean) => void;
  reject: (err: unknown) => void;
}

export const INTAKE_DEFAULTS = {
  /** Deliveries per insert. */
  maxBatch: 500,
  /** Deliveries per hand-off batch, and batches handed off at once. */
  handoffBatch: 64,
  concurrency: 2,
  /** Past this many waiting for their hand-off here, new ones are left to the recovery sweep. */
  maxQueued: 20_000,
};

/**
 * Where verified WooCommerce deliveries land. `accept` resolves once the delivery is stored
 * (with everything that arrived meanwhile, in one insert that skips delivery ids seen before),
 * so WooCommerce can be answered; new deliveries are then handed to their order's workflow in
 * the background. The worker's recovery sweep hands off what a process that dies leaves.
 */
export class WooIntake {
  private waiting: Waiting[] = [];
  private flushing = false;
  private readonly queue: WooDeliveryDoc[] = [];
  private active = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly store: Store,
    private readonly handOff: (docs: WooDeliveryDoc[]) => Promise<unknown>,
    private readonly opts = INTAKE_DEFAULTS,
  ) {}

  /** Resolves once stored: true for a new delivery, false for a delivery id seen before. */
  accept(doc: WooDeliveryDoc): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ doc, resolve, reject });
      if (!this.flushing) {
        this.flushing = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  /** Resolves when everything accepted so far has been handed off or given up (tests, shutdown). */
  idle(): Promise<void> {
    if (!this.busy()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async flush(): Promise<void> {
    while (this.waiting.length) {
      const batch = this.waiting.splice(0, this.opts.maxBatch);
      try {
        const stored = await this.store.wooDeliveries.saveMany(batch.map((w) => w.doc));
        const fresh: WooDeliveryDoc[] = [];
        for (const w of batch) {
          // The same delivery twice in one batch: the first is the one stored.
          const created = stored.delete(w.doc._id);
          if (created) fresh.push(w.doc);
          w.resolve(created);
        }
        const room = Math.max(0, this.opts.maxQueued - this.queue.length);
        this.queue.push(...fresh.slice(0, room));
        this.pump();
      } catch (err) {
        batch.forEach((w) => w.reject(err));
      }
    }
    this.flushing = false;
    this.settle();
  }

  private pump(): void {
    while (this.active < this.opts.concurrency && this.queue.length) {
      const batch = this.queue.splice(0, this.opts.handoffBatch);
      this.active++;
      void this.handOff(batch)
        .catch(() => undefined)
        .then(() => {
          this.active--;
          this.pump();
          this.settle();
        });
    }
  }

  private busy(): boolean {
    return this.flushing || this.active > 0 || this.waiting.length > 0 || this.queue.length > 0;
  }

  private settle(): void {
    if (!this.busy()) this.idleWaiters.splice(0).forEach((r) => r());
  }
}

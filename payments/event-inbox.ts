import type { Store } from '../store';
import type { NewPaymentEvent } from '../store/contract';
import type { PaymentEventDoc } from '../store/documents';
import { deliverPaymentEvents, type DeliverDeps } from './deliver-events';

interface Waiting {
  event: NewPaymentEvent;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** Events per insert. */
const MAX_BATCH = 500;
/** Events waiting in memory for delivery; past it they wait in the store for the sweep. */
const MAX_QUEUED = 5_000;

/**
 * Where verified gateway webhooks land. `accept` resolves once the event is stored (one insert
 * for everything that arrived meanwhile, each gateway event id once), so the gateway can be
 * answered; new events are then signalled to their links' workflows in the background. The
 * worker's recovery sweep delivers what a process that dies (or a full queue) leaves.
 */
export class PaymentEventInbox {
  private waiting: Waiting[] = [];
  private flushing = false;
  private queue: PaymentEventDoc[] = [];
  private delivering = false;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly deps: DeliverDeps) {}

  private get store(): Store {
    return this.deps.store;
  }

  accept(event: NewPaymentEvent): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ event, resolve, reject });
      if (!this.flushing) {
        this.flushing = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  /** Resolves when everything accepted so far has been delivered (tests, shutdown). */
  idle(): Promise<void> {
    if (!this.busy()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async flush(): Promise<void> {
    while (this.waiting.length) {
      const batch = this.waiting.splice(0, MAX_BATCH);
      try {
        const saved = await this.store.paymentEvents.saveMany(batch.map((w) => w.event));
        batch.forEach((w) => w.resolve());
        this.queue.push(...saved.slice(0, Math.max(0, MAX_QUEUED - this.queue.length)));
        void this.deliver();
      } catch (err) {
        batch.forEach((w) => w.reject(err));
      }
    }
    this.flushing = false;
    this.settle();
  }

  private async deliver(): Promise<void> {
    if (this.delivering) return;
    this.delivering = true;
    while (this.queue.length) {
      const batch = this.queue.splice(0, MAX_BATCH);
      const done = await deliverPaymentEvents(this.deps, batch);
      await this.store.paymentEvents
        .markProcessed(done)
        .catch((err: unknown) => this.deps.log.warn({ err }, 'marking payment events failed'));
    }
    this.delivering = false;
    this.settle();
  }

  private busy(): boolean {
    return this.flushing || this.delivering || this.waiting.length > 0 || this.queue.length > 0;
  }

  private settle(): void {
    if (!this.busy()) this.idleWaiters.splice(0).forEach((r) => r());
  }
}

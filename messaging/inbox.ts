import type { Store } from '../store';
import type { InboundWebhookDoc } from '../store/documents';
import type { InboundProcessor } from './inbound';
import type { MetaWebhook } from './meta-webhook';

interface Waiting {
  body: string;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export interface InboxLogger {
  warn(obj: object, msg: string): void;
}

/**
 * Where verified provider webhooks land. `accept` resolves once the webhook is stored (so the
 * provider can be answered), writing everything that arrived meanwhile in one insert; the
 * stored webhooks are then processed in the background. Past `maxQueued` waiting in memory,
 * new ones are only stored: the worker's recovery sweep processes them, as it does whatever a
 * process that dies leaves.
 */
export class Inbox {
  private waiting: Waiting[] = [];
  private flushing = false;
  private readonly queue: InboundWebhookDoc[] = [];
  private active = 0;
  private processed: string[] = [];
  private marking = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly store: Store,
    private readonly processor: InboundProcessor,
    private readonly log: InboxLogger,
    private readonly opts = { maxBatch: 500, concurrency: 8, maxQueued: 5_000 },
  ) {}

  accept(body: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ body, resolve, reject });
      if (!this.flushing) {
        this.flushing = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  /** Resolves when everything accepted so far has been processed (tests, shutdown). */
  idle(): Promise<void> {
    if (!this.busy()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async flush(): Promise<void> {
    while (this.waiting.length) {
      const batch = this.waiting.splice(0, this.opts.maxBatch);
      try {
        const docs = await this.store.inboundWebhooks.saveMany(
          batch.map((w) => ({ provider: 'meta' as const, body: w.body })),
        );
        batch.forEach((w) => w.resolve());
        this.queue.push(...docs.slice(0, Math.max(0, this.opts.maxQueued - this.queue.length)));
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
      const doc = this.queue.shift()!;
      this.active++;
      void processStored(this.store, this.processor, doc, this.log).then((ok) => {
        if (ok) this.processed.push(doc._id);
        this.active--;
        this.pump();
        void this.markProcessed();
      });
    }
  }

  /** Marks what was processed meanwhile in one write; unmarked ones are only processed again. */
  private async markProcessed(): Promise<void> {
    if (this.marking) return;
    this.marking = true;
    while (this.processed.length) {
      const ids = this.processed.splice(0);
      await this.store.inboundWebhooks
        .markProcessed(ids)
        .catch((err: unknown) =>
          this.log.warn({ err, count: ids.length }, 'marking processed failed'),
        );
    }
    this.marking = false;
    this.settle();
  }

  private busy(): boolean {
    return (
      this.flushing ||
      this.marking ||
      this.active > 0 ||
      this.waiting.length > 0 ||
      this.queue.length > 0 ||
      this.processed.length > 0
    );
  }

  private settle(): void {
    if (!this.busy()) this.idleWaiters.splice(0).forEach((r) => r());
  }
}

/**
 * Processes one stored webhook; a failure is recorded on it. Never throws. The caller marks the
 * processed ones (in batches).
 */
export async function processStored(
  store: Store,
  processor: InboundProcessor,
  doc: InboundWebhookDoc,
  log: InboxLogger,
): Promise<boolean> {
  try {
    const { unknownStatuses } = await processor.process(JSON.parse(doc.body) as MetaWebhook);
    if (unknownStatuses.length) {
      log.warn({ webhook: doc._id, wamids: unknownStatuses }, 'statuses for unknown messages');
    }
    return true;
  } catch (err) {
    log.warn({ webhook: doc._id, err }, 'webhook processing failed; the recovery sweep retries it');
    await store.inboundWebhooks.markFailed(doc._id, (err as Error).message).catch(() => undefined);
    return false;
  }
}

import { mapLimit } from '../lib/concurrency';
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

export const INBOX_DEFAULTS = {
  /** Webhooks per insert, and per processed batch. */
  maxBatch: 500,
  /** Batches processed at once: one can be in the store while the next is prepared. */
  concurrency: 2,
  maxQueued: 5_000,
};

/**
 * Where verified provider webhooks land. `accept` resolves once the webhook is stored (so the
 * provider can be answered), writing everything that arrived meanwhile in one insert; the
 * stored webhooks are then processed in the background, in batches of what queued meanwhile.
 * Past `maxQueued` waiting in memory, new ones are only stored, and read back from the store
 * once the queue has drained; the worker's recovery sweep processes what a process that dies
 * leaves.
 */
export class Inbox {
  private waiting: Waiting[] = [];
  private flushing = false;
  private readonly queue: InboundWebhookDoc[] = [];
  private active = 0;
  private processed: string[] = [];
  private marking = false;
  private idleWaiters: (() => void)[] = [];
  /** Webhooks were stored but not queued here: read them back once the queue drains. */
  private overflowed = false;
  private refilling = false;

  constructor(
    private readonly store: Store,
    private readonly processor: InboundProcessor,
    private readonly log: InboxLogger,
    private readonly opts = INBOX_DEFAULTS,
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
        const room = Math.max(0, this.opts.maxQueued - this.queue.length);
        if (docs.length > room) this.overflowed = true;
        this.queue.push(...docs.slice(0, room));
        this.pump();
      } catch (err) {
        batch.forEach((w) => w.reject(err));
      }
    }
    this.flushing = false;
    this.settle();
  }

  /** Takes what is queued in batches: one batch's statuses cost a few writes in all. */
  private pump(): void {
    while (this.active < this.opts.concurrency && this.queue.length) {
      const batch = this.queue.splice(0, this.opts.maxBatch);
      this.active++;
      void processStored(this.store, this.processor, batch, this.log).then((ids) => {
        this.processed.push(...ids);
        this.active--;
        this.pump();
        void this.markProcessed();
      });
    }
  }

  /**
   * Reads back what overflowed, once everything processed so far is marked (so it is not read
   * back too). Another process may read some of the same: processing is idempotent.
   */
  private async refill(): Promise<void> {
    if (!this.overflowed || this.refilling || this.queue.length || this.active || this.marking) {
      return;
    }
    this.refilling = true;
    try {
      // Failed ones wait for the sweep's pace, not this loop's.
      const docs = (await this.store.inboundWebhooks.pending(0, this.opts.maxQueued)).filter(
        (d) => d.attempts === 0,
      );
      this.overflowed = docs.length > 0;
      this.queue.push(...docs);
    } catch (err) {
      this.log.warn({ err }, 'reading back stored webhooks failed; the recovery sweep will');
      this.overflowed = false;
    }
    this.refilling = false;
    this.pump();
    this.settle();
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
    await this.refill();
    this.settle();
  }

  private busy(): boolean {
    return (
      this.flushing ||
      this.marking ||
      this.refilling ||
      this.overflowed ||
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

/** Webhooks of a failed batch processed at once, each on its own. */
const ONE_BY_ONE_CONCURRENCY = 8;

type Parsed = { doc: InboundWebhookDoc; payload: MetaWebhook };

/**
 * Processes stored webhooks as one batch; returns the ids of those processed, for the caller to
 * mark (in one write). Never throws. A webhook that fails is recorded failed, for the recovery
 * sweep to retry: when the batch fails as a whole, each webhook is tried on its own, so one bad
 * webhook does not hold back the others.
 */
export async function processStored(
  store: Store,
  processor: InboundProcessor,
  docs: InboundWebhookDoc[],
  log: InboxLogger,
): Promise<string[]> {
  const failed = async (doc: InboundWebhookDoc, err: unknown) => {
    log.warn({ webhook: doc._id, err }, 'webhook processing failed; the recovery sweep retries it');
    await store.inboundWebhooks.markFailed(doc._id, (err as Error).message).catch(() => undefined);
  };
  const reportUnknown = (doc: InboundWebhookDoc, wamids: string[]) => {
    if (wamids.length) log.warn({ webhook: doc._id, wamids }, 'statuses for unknown messages');
  };
  const parsed: Parsed[] = [];
  for (const doc of docs) {
    try {
      parsed.push({ doc, payload: JSON.parse(doc.body) as MetaWebhook });
    } catch (err) {
      await failed(doc, err);
    }
  }
  if (!parsed.length) return [];
  try {
    const results = await processor.processMany(parsed.map((p) => p.payload));
    parsed.forEach((p, i) => reportUnknown(p.doc, results[i]!.unknownStatuses));
    return parsed.map((p) => p.doc._id);
  } catch (err) {
    if (parsed.length === 1) {
      await failed(parsed[0]!.doc, err);
      return [];
    }
    log.warn({ err, count: parsed.length }, 'batch processing failed; trying its webhooks alone');
  }
  const done = await mapLimit(parsed, ONE_BY_ONE_CONCURRENCY, async ({ doc, payload }) => {
    try {
      reportUnknown(doc, (await processor.process(payload)).unknownStatuses);
      return doc._id;
    } catch (err) {
      await failed(doc, err);
      return null;
    }
  });
  return done.filter((id): id is string => id !== null);
}

import { BatchedIntake } from '../lib/batched-intake';
import { mapLimit } from '../lib/concurrency';
import type { Store } from '../store';
import type { InboundWebhookDoc } from '../store/documents';
import type { InboundProcessor, WebhookResult } from './processor';
import { DEFAULT_RETRY_POLICY, recordFailure, type RetryPolicy } from './retries';
import { parseMetaWebhook, type MetaWebhook } from '../meta/webhook-payload';

export interface InboxLogger {
  warn(obj: object, msg: string): void;
}

export interface InboxOptions {
  maxBatch: number;
  concurrency: number;
  maxQueued: number;
  /** How failed webhooks are retried; the default schedule and clock unless given. */
  retry?: RetryPolicy;
}

/** A webhook as it came, and as parsed if it was. */
interface Arrival {
  body: string;
  payload?: MetaWebhook;
}

/**
 * Under load (the last batch held more than one webhook), a batch waits up to this long for
 * more while they keep coming: a batch's statements cost about the same for 20 statuses as for
 * 100, and Meta waits seconds for an answer, not milliseconds. At 2,700 statuses/s, 50 ms
 * rather than 10 ms took Waflow's CPU per campaign message from 1.08 to 0.93 ms (bench/campaign).
 */
const LINGER = { ms: 50, full: 400 };

export const INBOX_DEFAULTS: InboxOptions = {
  /** Webhooks per insert, and per processed batch. */
  maxBatch: 500,
  /** Stored batches processed at once: one can be in the store while the next is prepared. */
  concurrency: 2,
  maxQueued: 5_000,
};

/**
 * Where verified provider webhooks land. `accept` resolves once the webhook is stored (so the
 * provider can be answered), everything that arrived meanwhile processed together and then
 * written in one insert, as processed. A webhook whose processing failed is stored as it came
 * and processed again in the background, in batches of what queued meanwhile, and retried
 * after a wait if it fails again. Past `maxQueued` waiting in memory, new ones are only
 * stored, and read back from the store once the queue has drained; the worker's recovery sweep
 * processes what a process that dies leaves.
 */
export class Inbox {
  private readonly intake: BatchedIntake<Arrival, InboundWebhookDoc>;
  private processed: string[] = [];
  private marking = false;
  /** Webhooks were stored but not queued here: read them back once the queue drains. */
  private overflowed = false;
  private refilling = false;

  constructor(
    private readonly store: Store,
    private readonly processor: InboundProcessor,
    private readonly log: InboxLogger,
    private readonly opts: InboxOptions = INBOX_DEFAULTS,
  ) {
    this.intake = new BatchedIntake(
      {
        // Processed before anything is stored: what is done needs no write of its own (its
        // effects are stored, and Meta delivers it again if this process dies before the 200).
        // What is not done is stored as it came, for the queue to process.
        save: async (arrivals) => {
          const done = await processAtOnce(processor, arrivals, log);
          const left = arrivals.filter((_, i) => !done[i]);
          if (!left.length) return { docs: [] };
          const docs = await store.inboundWebhooks.saveMany(
            left.map(({ body }) => ({ provider: 'meta' as const, body })),
          );
          return { docs };
        },
        // One batch's statuses cost a few writes in all.
        process: async (docs) => {
          this.processed.push(...(await processStored(store, processor, docs, log, this.retry)));
        },
        dropped: () => {
          this.overflowed = true;
        },
        processed: () => void this.markProcessed(),
        busy: () => this.marking || this.refilling || this.overflowed || this.processed.length > 0,
      },
      { ...opts, processBatch: opts.maxBatch, linger: LINGER },
    );
  }

  private get retry(): RetryPolicy {
    return this.opts.retry ?? DEFAULT_RETRY_POLICY;
  }

  /** `payload` is the body already parsed, when the caller had to (it is parsed here if not). */
  accept(body: string, payload?: MetaWebhook): Promise<void> {
    return this.intake.accept({ body, payload });
  }

  /** Processes stored webhooks at once, outside the queue (a replay); the ids processed. */
  processNow(docs: InboundWebhookDoc[]): Promise<string[]> {
    return processAndMark(this.store, this.processor, docs, this.log, this.retry);
  }

  /** Resolves when everything accepted so far has been processed (tests, shutdown). */
  idle(): Promise<void> {
    return this.intake.idle();
  }

  /**
   * Reads back what overflowed, once everything processed so far is marked (so it is not read
   * back too). Another process may read some of the same: processing is idempotent.
   */
  private async refill(): Promise<void> {
    if (!this.overflowed || this.refilling || this.intake.processing() || this.marking) {
      return;
    }
    this.refilling = true;
    let docs: InboundWebhookDoc[] = [];
    try {
      // Failed ones wait for the sweep's pace, not this loop's.
      docs = (await this.store.inboundWebhooks.pending(0, this.opts.maxQueued)).filter(
        (d) => d.attempts === 0,
      );
      this.overflowed = docs.length > 0;
    } catch (err) {
      this.log.warn({ err }, 'reading back stored webhooks failed; the recovery sweep will');
      this.overflowed = false;
    }
    this.refilling = false;
    this.intake.enqueue(docs);
    this.intake.settle();
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
    this.intake.settle();
  }
}

/** Processes stored webhooks and marks those processed in one write; their ids. */
export async function processAndMark(
  store: Store,
  processor: InboundProcessor,
  docs: InboundWebhookDoc[],
  log: InboxLogger,
  retry: RetryPolicy = DEFAULT_RETRY_POLICY,
): Promise<string[]> {
  const processed = await processStored(store, processor, docs, log, retry);
  await store.inboundWebhooks.markProcessed(processed);
  return processed;
}

/**
 * Processes webhooks as they arrive, before they are stored; per body, whether it is done.
 * Never throws: what fails (a body that does not parse, a batch the store refused, a message
 * no contact can hold) is not done, and the queue's processing records why.
 */
async function processAtOnce(
  processor: InboundProcessor,
  arrivals: Arrival[],
  log: InboxLogger,
): Promise<boolean[]> {
  const done = arrivals.map(() => false);
  const parsed: { i: number; payload: MetaWebhook }[] = [];
  arrivals.forEach(({ body, payload }, i) => {
    try {
      parsed.push({ i, payload: payload ?? parseMetaWebhook(body) });
    } catch {
      // Stored as it came: the queue records the parse error.
    }
  });
  if (!parsed.length) return done;
  try {
    const results = await processor.processMany(parsed.map((p) => p.payload));
    parsed.forEach(({ i }, n) => {
      const result = results[n]!;
      warnUnknown(log, null, result);
      done[i] = result.unstored === undefined;
    });
  } catch {
    // Each is processed again from the store, on its own if need be.
  }
  return done;
}

function warnUnknown(log: InboxLogger, webhook: string | null, result: WebhookResult): void {
  if (result.unknownStatuses.length) {
    log.warn({ webhook, wamids: result.unknownStatuses }, 'statuses for unknown messages');
  }
}

/** Webhooks of a failed batch processed at once, each on its own. */
const ONE_BY_ONE_CONCURRENCY = 8;

type Parsed = { doc: InboundWebhookDoc; payload: MetaWebhook };

/**
 * Processes stored webhooks as one batch; returns the ids of those processed, for the caller to
 * mark (in one write). Never throws. A webhook that fails is recorded failed, for the recovery
 * sweep to retry after a wait, or parked dead after its last attempt: when the batch fails as a
 * whole, each webhook is tried on its own, so one bad webhook does not hold back the others.
 */
export async function processStored(
  store: Store,
  processor: InboundProcessor,
  docs: InboundWebhookDoc[],
  log: InboxLogger,
  retry: RetryPolicy = DEFAULT_RETRY_POLICY,
): Promise<string[]> {
  const failed = async (doc: InboundWebhookDoc, err: unknown, retryable = true) => {
    const message = err instanceof Error ? err.message : String(err);
    const outcome = await recordFailure(store, doc, message, retry, retryable).catch(
      () => 'retrying',
    );
    log.warn(
      { webhook: doc._id, attempts: doc.attempts + 1, err },
      outcome === 'dead'
        ? 'webhook processing failed for the last time; parked dead until replayed'
        : 'webhook processing failed; the recovery sweep retries it',
    );
  };
  /** Whether the webhook is done; one with a message no retry can store is kept dead. */
  const settled = async (doc: InboundWebhookDoc, result: WebhookResult) => {
    warnUnknown(log, doc._id, result);
    if (result.unstored === undefined) return true;
    await failed(doc, result.unstored, false);
    return false;
  };
  const parsed: Parsed[] = [];
  for (const doc of docs) {
    try {
      parsed.push({ doc, payload: parseMetaWebhook(doc.body) });
    } catch (err) {
      await failed(doc, err);
    }
  }
  if (!parsed.length) return [];
  try {
    const results = await processor.processMany(parsed.map((p) => p.payload));
    const done = await Promise.all(parsed.map((p, i) => settled(p.doc, results[i]!)));
    return parsed.filter((_, i) => done[i]).map((p) => p.doc._id);
  } catch (err) {
    if (parsed.length === 1) {
      await failed(parsed[0]!.doc, err);
      return [];
    }
    log.warn({ err, count: parsed.length }, 'batch processing failed; trying its webhooks alone');
  }
  const done = await mapLimit(parsed, ONE_BY_ONE_CONCURRENCY, async ({ doc, payload }) => {
    try {
      return (await settled(doc, await processor.process(payload))) ? doc._id : null;
    } catch (err) {
      await failed(doc, err);
      return null;
    }
  });
  return done.filter((id): id is string => id !== null);
}

import type { Log } from '../lib/log';
import type { MetaClient } from '../meta/client';
import type { Store } from '../store';
import type { Signals } from '../store/signals';
import type { BlobStore } from './blob-store';
import { downloadInboundMedia } from './download';

/** How long a claimed download is held: past it, another worker takes it (a 100 MB file fits). */
const LEASE_MS = 10 * 60_000;

export interface MediaDownloadOptions {
  store: Store;
  blobs: BlobStore;
  meta: MetaClient;
  log: Log;
  concurrency: number;
  retryDelaysMs: number[];
  /** How often the queue is looked at when no signal came. */
  pollMs: number;
  /** `media_queued` from the API wakes the queue at once; the poll finds what a signal missed. */
  signals?: Signals;
}

/**
 * Drains the inbound download queue in the store (media records `pending` and due): claims
 * what it has room for, runs up to `concurrency` downloads at once, and looks again as soon as
 * one ends, or every `pollMs` when there is nothing to do. Durable through the store: a crash
 * leaves claimed downloads due again when their hold ends.
 */
export class MediaDownloads {
  private running = 0;
  private stopped = false;
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  private unsubscribe: Promise<() => Promise<void>> | null = null;

  constructor(private readonly o: MediaDownloadOptions) {}

  start(): void {
    this.unsubscribe =
      this.o.signals
        ?.subscribe('media_queued', () => void this.poke())
        .catch((err: unknown) => {
          this.o.log.warn({ err }, 'media downloads: not woken by signals, polling only');
          return async () => undefined;
        }) ?? null;
    this.schedule(0);
  }

  /** Looks for due downloads now (tests, and after each one ends). */
  poke(): Promise<void> {
    this.polling ??= this.poll().finally(() => {
      this.polling = null;
    });
    return this.polling;
  }

  /** Resolves when no download runs and none is due now. */
  async idle(): Promise<void> {
    for (;;) {
      await this.poke();
      if (this.inFlight.size === 0) return;
      await Promise.race(this.inFlight);
    }
  }

  async close(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await (
      await this.unsubscribe
    )?.();
    await this.polling;
    await Promise.allSettled([...this.inFlight]);
  }

  private schedule(ms: number) {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.poke().finally(() => this.schedule(this.o.pollMs));
    }, ms);
  }

  private async poll(): Promise<void> {
    const room = this.o.concurrency - this.running;
    if (this.stopped || room <= 0) return;
    let claimed;
    try {
      claimed = await this.o.store.media.claimDue(new Date(), room, LEASE_MS);
    } catch (err) {
      this.o.log.error({ err }, 'media downloads: claiming failed');
      return;
    }
    for (const doc of claimed) {
      this.running++;
      const run = downloadInboundMedia(this.o, doc)
        .catch((err: unknown) => {
          // Its outcome could not be recorded: the hold ends and it is claimed again.
          this.o.log.error({ err, media: doc._id }, 'media download: outcome not recorded');
        })
        .finally(() => {
          this.running--;
          this.inFlight.delete(run);
          if (!this.stopped) void this.poke();
        });
      this.inFlight.add(run);
    }
  }
}

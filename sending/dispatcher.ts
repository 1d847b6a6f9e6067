import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { BlobStore } from '../media/blob-store';
import { MediaResolver } from '../media/outbound-media';
import type { MetaClient } from '../meta/client';
import type { Config } from '../lib/config';
import { TtlCache } from '../lib/ttl-cache';
import type { Store } from '../store/contract';
import type { AccountDoc, EventDoc } from '../store/documents';
import type { Signals } from '../store/signals';
import { Lane, type Counters } from './lane';
import type { RetryReporter } from './retries';
import { Settler } from './settler';

/** Accounts change rarely; a lane reads its account from memory for this long. */
const ACCOUNT_CACHE_MS = 5_000;
/** Numbers looked at per poll. */
const DUE_ACCOUNTS = 1_000;

export interface DispatcherDeps {
  config: Config;
  store: Store;
  signals: Signals;
  meta: MetaClient;
  retries: RetryReporter;
  counters: Counters;
  log: { warn(obj: object, msg: string): void };
  /** Leaves out the events nothing reads (see webhooks/event-filter.ts); all recorded without. */
  eventFilter?: (events: EventDoc[]) => Promise<EventDoc[]>;
  /** Where outbound media files are read from to upload them (closed by its owner). */
  blobs: BlobStore;
}

/**
 * Sends every queued outbound message. Each number with messages due gets a lane in the one
 * process that holds its lease; lanes start when the API signals a queued message, and on a
 * poll that also finds what signals missed, lanes other processes let go of, and retries due.
 */
export class Dispatcher {
  readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly lanes = new Map<string, Lane>();
  private readonly running = new Set<Promise<void>>();
  private readonly accounts = new TtlCache<string, AccountDoc | null>(ACCOUNT_CACHE_MS);
  /** `<account>:<name>:<language>` -> category: one lookup per template a while, not per send. */
  private readonly categories = new TtlCache<string, string | null>(ACCOUNT_CACHE_MS);
  private readonly settler: Settler;
  private readonly media: MediaResolver;
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => Promise<void>) | null = null;
  private closed = false;

  constructor(private readonly deps: DispatcherDeps) {
    this.settler = new Settler(deps.store, deps.signals, this.owner, deps.log, deps.eventFilter);
    this.media = new MediaResolver({ store: deps.store, blobs: deps.blobs, meta: deps.meta });
  }

  async start(): Promise<void> {
    this.unsubscribe = await this.deps.signals.subscribe('send_queued', (accountId) =>
      this.wake(accountId),
    );
    void this.poll();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.unsubscribe?.();
    for (const lane of this.lanes.values()) lane.stop();
    await Promise.all(this.running);
  }

  private async poll(): Promise<void> {
    if (this.closed) return;
    try {
      for (const id of await this.deps.store.sendQueue.dueAccounts(DUE_ACCOUNTS)) this.wake(id);
    } catch (err) {
      this.deps.log.warn({ err }, 'looking for queued messages failed');
    }
    if (!this.closed) this.timer = setTimeout(() => void this.poll(), this.deps.config.send.pollMs);
  }

  private wake(accountId: string): void {
    if (this.closed || !accountId) return;
    const existing = this.lanes.get(accountId);
    if (existing) return existing.poke();
    const { config, store, meta, retries, counters, log } = this.deps;
    const lane = new Lane(accountId, {
      store,
      meta,
      owner: this.owner,
      settler: this.settler,
      retries,
      counters,
      log,
      send: config.send,
      noAnswerRecheckMs: config.meta.noAnswerRecheckMs,
      account: (id) => this.accounts.getOrLoad(id, () => store.accounts.findById(id)),
      templateCategory: (account, name, language) =>
        this.categories.getOrLoad(`${account._id}:${name}:${language ?? ''}`, async () => {
          const t = await store.templates.find(account.org_id, account._id, name, language);
          return t?.category ?? null;
        }),
      forgetAccount: (id) => this.accounts.deleteWhere((a) => a?._id === id),
      media: this.media,
    });
    this.lanes.set(accountId, lane);
    const running = lane
      .run()
      .catch((err: unknown) => log.warn({ err, accountId }, 'send lane stopped'))
      .finally(() => {
        this.lanes.delete(accountId);
        this.running.delete(running);
      });
    this.running.add(running);
  }
}

import type { RateWindowRepository } from '../store/contract/rate-windows';
import type { RateLimits } from './types';

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Unix seconds at which the minute window resets. */
  reset: number;
  /** Seconds to wait, when not allowed. */
  retryAfter: number;
}

export interface RateLimiterOptions {
  now?: () => number;
  /** Told when the store cannot be reached (at most once a minute). */
  onStoreError?: (err: unknown) => void;
}

const MINUTE = 60_000;
const SECOND = 1_000;
/** A block is this fraction of what its window has left (at least one request). */
const SHARE = 4;
/** A claim the store has not answered by then counts as failed. */
const CLAIM_TIMEOUT_MS = 1_000;
const REPORT_EVERY_MS = 60_000;

/** The block sizes of a window of `limit`, and the requests in each block and those before. */
interface Schedule {
  sizes: number[];
  through: number[];
}

const schedules = new Map<number, Schedule>();

function scheduleOf(limit: number): Schedule {
  let s = schedules.get(limit);
  if (!s) {
    s = { sizes: [], through: [] };
    for (let left = limit; left > 0;) {
      const size = Math.max(1, Math.floor(left / SHARE));
      left -= size;
      s.sizes.push(size);
      s.through.push(limit - left);
    }
    if (schedules.size >= 1_000) schedules.clear();
    schedules.set(limit, s);
  }
  return s;
}

/** This process's share of one client's window. */
interface Lease {
  start: number;
  /** Requests this process may still let through in the window. */
  left: number;
  /** Requests handed out to all processes, as far as this one knows. */
  claimed: number;
  /** The first block not known to be claimed. */
  next: number;
  /** Every block of the window is claimed. */
  spent: boolean;
  claiming: Promise<void> | null;
}

interface Client {
  minute: Lease;
  second: Lease;
}

const lease = (): Lease => ({
  start: -1,
  left: 0,
  claimed: 0,
  next: 0,
  spent: false,
  claiming: null,
});

/** The lease of the window that holds `t`, emptied if the window moved on. */
function roll(l: Lease, length: number, t: number): Lease {
  const start = t - (t % length);
  if (l.start !== start) {
    l.start = start;
    l.left = 0;
    l.claimed = 0;
    l.next = 0;
    l.spent = false;
    l.claiming = null;
  }
  return l;
}

/**
 * Two windows per client, aligned on the clock: a per-minute quota and a per-second burst cap.
 * Rejected requests do not count.
 *
 * The windows are shared by every API process through the store, without a write per request:
 * a window's quota is cut into blocks, each a quarter of what the blocks before it left (at
 * least one request), and a process claims the next block when it has used up its own. A block
 * is claimed by one process only, and the blocks add up to the limit, so all processes together
 * never let more through; near the limit the blocks are single requests. What a process does
 * not use of its blocks lapses with the window.
 *
 * When the store does not answer, a process counts alone (as if it held the blocks it asked
 * for), so the limit holds per process until the store is back.
 */
export class RateLimiter {
  private readonly clients = new Map<string, Client>();
  private readonly now: () => number;
  private lastSweep: number;
  private lastReport = -Infinity;

  constructor(
    private readonly windows: RateWindowRepository,
    private readonly opts: RateLimiterOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.lastSweep = this.now();
  }

  /** Decided at once while this process holds a share of both windows; else after a claim. */
  hit(id: string, limits: RateLimits): RateDecision | Promise<RateDecision> {
    const t = this.now();
    this.sweep(t);
    let c = this.clients.get(id);
    if (!c) {
      c = { minute: lease(), second: lease() };
      this.clients.set(id, c);
    }
    return this.decide(c, limits, t) ?? this.claimThenDecide(id, c, limits);
  }

  /** null: a window needs another block first. */
  private decide(c: Client, limits: RateLimits, t: number): RateDecision | null {
    const m = roll(c.minute, MINUTE, t);
    const s = roll(c.second, SECOND, t);
    const answer = (allowed: boolean, until: number): RateDecision => ({
      allowed,
      limit: limits.perMinute,
      remaining: Math.max(0, limits.perMinute - m.claimed + m.left),
      reset: Math.ceil((m.start + MINUTE) / 1000),
      retryAfter: allowed ? 0 : Math.max(1, Math.ceil((until - t) / 1000)),
    });
    if (m.left === 0 && m.spent) return answer(false, m.start + MINUTE);
    if (s.left === 0 && s.spent) return answer(false, s.start + SECOND);
    if (m.left === 0 || s.left === 0) return null;
    m.left--;
    s.left--;
    return answer(true, 0);
  }

  private async claimThenDecide(id: string, c: Client, limits: RateLimits): Promise<RateDecision> {
    for (;;) {
      await Promise.all([
        this.claim(c.minute, `${id}:m`, MINUTE, limits.perMinute),
        this.claim(c.second, `${id}:s`, SECOND, limits.perSecond),
      ]);
      const decision = this.decide(c, limits, this.now());
      if (decision) return decision;
    }
  }

  /** One claim at a time per lease: requests arriving meanwhile wait for the same one. */
  private claim(l: Lease, key: string, length: number, limit: number): Promise<void> {
    if (l.left > 0 || l.spent) return Promise.resolve();
    if (!l.claiming) {
      const claiming: Promise<void> = this.claimBlock(l, key, length, limit).finally(() => {
        if (l.claiming === claiming) l.claiming = null;
      });
      l.claiming = claiming;
    }
    return l.claiming;
  }

  private async claimBlock(l: Lease, key: string, length: number, limit: number): Promise<void> {
    const { start, next } = l;
    const { sizes, through } = scheduleOf(limit);
    let block: number | null;
    try {
      block = await this.answered(
        this.windows.claim({ key, start, end: start + length }, sizes.length, next),
      );
    } catch (err) {
      this.report(err);
      block = next < sizes.length ? next : null;
    }
    if (l.start !== start) return;
    if (block === null || block >= sizes.length) {
      l.spent = true;
      l.claimed = limit;
      return;
    }
    l.left += sizes[block]!;
    l.claimed = Math.max(l.claimed, through[block]!);
    l.next = Math.max(l.next, block + 1);
  }

  private answered<T>(promise: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`the store did not answer in ${CLAIM_TIMEOUT_MS} ms`)),
        CLAIM_TIMEOUT_MS,
      );
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  }

  private report(err: unknown): void {
    const t = this.now();
    if (t - this.lastReport < REPORT_EVERY_MS) return;
    this.lastReport = t;
    this.opts.onStoreError?.(err);
  }

  /** Forgets clients whose minute is over, and deletes the store's windows long over. */
  private sweep(t: number): void {
    if (t - this.lastSweep < MINUTE) return;
    this.lastSweep = t;
    for (const [id, c] of this.clients) {
      if (t - c.minute.start >= MINUTE) this.clients.delete(id);
    }
    // A minute late: a process whose clock is behind may still claim in a window just over.
    this.windows.purgeEnded(t - MINUTE).catch((err: unknown) => this.report(err));
  }
}

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

interface Window {
  minuteStart: number;
  minuteCount: number;
  secondStart: number;
  secondCount: number;
}

const MINUTE = 60_000;
const SECOND = 1_000;

/**
 * Two windows per client, each starting at the first request after the previous one ended:
 * a per-minute quota and a per-second burst cap. Rejected requests do not count.
 * In-process: with several API replicas each enforces its own share.
 */
export class RateLimiter {
  private readonly windows = new Map<string, Window>();
  private lastSweep: number;

  constructor(private readonly now: () => number = Date.now) {
    this.lastSweep = now();
  }

  hit(id: string, limits: RateLimits): RateDecision {
    const t = this.now();
    this.sweep(t);
    let w = this.windows.get(id);
    if (!w) {
      w = { minuteStart: t, minuteCount: 0, secondStart: t, secondCount: 0 };
      this.windows.set(id, w);
    }
    if (t - w.minuteStart >= MINUTE) {
      w.minuteStart = t;
      w.minuteCount = 0;
    }
    if (t - w.secondStart >= SECOND) {
      w.secondStart = t;
      w.secondCount = 0;
    }
    const minuteEnd = w.minuteStart + MINUTE;
    const decision = (allowed: boolean, until: number): RateDecision => ({
      allowed,
      limit: limits.perMinute,
      remaining: Math.max(0, limits.perMinute - w.minuteCount),
      reset: Math.ceil(minuteEnd / 1000),
      retryAfter: allowed ? 0 : Math.max(1, Math.ceil((until - t) / 1000)),
    });
    if (w.minuteCount >= limits.perMinute) return decision(false, minuteEnd);
    if (w.secondCount >= limits.perSecond) return decision(false, w.secondStart + SECOND);
    w.minuteCount++;
    w.secondCount++;
    return decision(true, 0);
  }

  private sweep(t: number): void {
    if (t - this.lastSweep < MINUTE) return;
    this.lastSweep = t;
    for (const [id, w] of this.windows) {
      if (t - w.minuteStart >= MINUTE) this.windows.delete(id);
    }
  }
}

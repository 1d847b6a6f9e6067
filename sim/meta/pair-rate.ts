import type { PairRateOptions } from './types';

interface Bucket {
  tokens: number;
  /** When `tokens` was last computed. */
  at: number;
}

/** Buckets are swept of full ones when the map doubles, so idle pairs do not pile up. */
const FIRST_SWEEP = 10_000;

/** Meta's (business number, user) pair rate: a token bucket per pair, full at first. */
export class PairRate {
  private readonly buckets = new Map<string, Bucket>();
  private sweepAt = FIRST_SWEEP;

  /** Whether the pair may get one more message now; nothing is taken. */
  available(key: string, o: PairRateOptions, now: number): boolean {
    return o.intervalMs === 0 || this.tokens(this.buckets.get(key), o, now) >= 1;
  }

  take(key: string, o: PairRateOptions, now: number) {
    if (o.intervalMs === 0) return;
    this.buckets.set(key, { tokens: this.tokens(this.buckets.get(key), o, now) - 1, at: now });
    if (this.buckets.size >= this.sweepAt) this.sweep(o, now);
  }

  clear() {
    this.buckets.clear();
    this.sweepAt = FIRST_SWEEP;
  }

  private tokens(bucket: Bucket | undefined, o: PairRateOptions, now: number): number {
    if (!bucket) return o.burst;
    return Math.min(o.burst, bucket.tokens + Math.max(0, now - bucket.at) / o.intervalMs);
  }

  /** A full bucket is the same as none. */
  private sweep(o: PairRateOptions, now: number) {
    for (const [key, bucket] of this.buckets) {
      if (this.tokens(bucket, o, now) >= o.burst) this.buckets.delete(key);
    }
    this.sweepAt = Math.max(FIRST_SWEEP, this.buckets.size * 2);
  }
}

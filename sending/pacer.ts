/** Below Meta's cap, so that network jitter never pushes a second over it. */
const HEADROOM = 0.95;
/**
 * A 130429 takes a quarter off the pace (down to MIN_FACTOR of the throughput) and pauses the
 * number briefly. Most come from arrival jitter at Meta rather than a wrong throughput: halving
 * and a whole second's pause for each cost a tenth of a busy number's sends; a number whose real
 * limit is lower still gets there within a few seconds of refusals.
 */
const SLOW_DOWN = 0.75;
const PAUSE_MS = 250;
const MIN_FACTOR = 1 / 16;
/** Each second without a 130429 gives back this much of the throughput. */
const RECOVERY_PER_SECOND = 0.1;
/**
 * Slots missed by at most this much (a late timer, a claim's round trip) are still used, so a
 * busy event loop does not lower the pace. Any second then holds at most (1 s + this) of sends
 * at 95%: 0.95 × 1.02 = 0.97, under the cap with room for network jitter.
 */
export const CATCH_UP_MS = 20;

/**
 * Spaces a number's sends evenly at its throughput. Meta counts a number's sends per second,
 * so even spacing (no bursts beyond CATCH_UP_MS) is what keeps every second under the cap. A
 * 130429 slows the number down (SLOW_DOWN, PAUSE_MS); the pace recovers linearly while Meta
 * stays quiet.
 */
export class Pacer {
  private nextSlot = 0;
  private factor = 1;
  private slowedAt = -Infinity;

  constructor(
    private perSecond: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  setThroughput(perSecond: number): void {
    this.perSecond = perSecond;
  }

  /** Messages a second it paces at now. */
  rate(at = this.now()): number {
    return this.perSecond * HEADROOM * this.currentFactor(at);
  }

  /** Reserves the next send slot: the time (on `now`'s clock) to send at, past, now or later. */
  reserve(): number {
    const at = this.now();
    const slot = Math.max(at - CATCH_UP_MS, this.nextSlot);
    this.nextSlot = slot + 1000 / this.rate(slot);
    return slot;
  }

  /** Meta answered 130429. Several answers for one burst count once. */
  slowDown(): void {
    const at = this.now();
    if (at - this.slowedAt < 1000) return;
    this.factor = Math.max(MIN_FACTOR, this.currentFactor(at) * SLOW_DOWN);
    this.slowedAt = at;
    this.nextSlot = Math.max(this.nextSlot, at + PAUSE_MS);
  }

  private currentFactor(at: number): number {
    const quietSeconds = Math.max(0, Math.floor((at - this.slowedAt) / 1000) - 1);
    return Math.min(1, this.factor + quietSeconds * RECOVERY_PER_SECOND);
  }
}

import type { MessageDoc } from '../store/documents';

/** Forgetting recipients whose bucket is full again keeps memory to the recently messaged. */
const PRUNE_AT = 10_000;

/** Who a message goes to, as the pair rate counts: the number, else the user id. */
export const recipientKey = (m: Pick<MessageDoc, 'phone_number' | 'user_id' | 'contact_id'>) =>
  m.phone_number ?? m.user_id ?? m.contact_id;

/**
 * Meta's pair rate (131056): about one message every `intervalMs` to the same user, after a
 * burst of `burst`. A token bucket per recipient, kept by the process that holds the lane.
 */
export class PairRate {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly opts: { intervalMs: number; burst: number },
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes a token for `recipient`: 0 if it may be messaged now, else the ms until it may. */
  take(recipient: string): number {
    if (this.opts.intervalMs <= 0) return 0;
    const at = this.now();
    const b = this.refilled(recipient, at);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      this.buckets.set(recipient, b);
      if (this.buckets.size > PRUNE_AT) this.prune(at);
      return 0;
    }
    return Math.ceil((1 - b.tokens) * this.opts.intervalMs);
  }

  /** Meta refused for pair rate: nothing more to this recipient for a whole interval. */
  drain(recipient: string): void {
    this.buckets.set(recipient, { tokens: 0, at: this.now() });
  }

  private refilled(recipient: string, at: number) {
    const b = this.buckets.get(recipient);
    if (!b) return { tokens: this.opts.burst, at };
    const tokens = Math.min(this.opts.burst, b.tokens + (at - b.at) / this.opts.intervalMs);
    return { tokens, at };
  }

  private prune(at: number): void {
    for (const [k, b] of this.buckets) {
      if (b.tokens + (at - b.at) / this.opts.intervalMs >= this.opts.burst) this.buckets.delete(k);
    }
  }
}

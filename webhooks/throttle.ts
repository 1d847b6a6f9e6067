/**
 * Runs jobs in the order given, at most `perSecond` of them a second (a token bucket holding a
 * second's worth; Infinity for no rate) and `concurrency` at once. What the dispatcher starts
 * workflows through: a burst of failures waits here instead of landing on Temporal all at once,
 * and each job looks again, when its turn comes, at whether it is still needed.
 */
export class Throttle {
  private tokens: number;
  private refilledAt: number;
  private active = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly perSecond: number,
    private readonly concurrency = 4,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = perSecond;
    this.refilledAt = now();
  }

  /** Jobs waiting for their turn. */
  get queued(): number {
    return this.waiting.length;
  }

  run<T>(job: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.waiting.push(() => {
        job()
          .then(resolve, reject)
          .finally(() => {
            this.active--;
            this.pump();
          });
      });
      this.pump();
    });
  }

  private refill(): void {
    if (this.perSecond === Infinity) return;
    const at = this.now();
    this.tokens = Math.min(
      this.perSecond,
      this.tokens + ((at - this.refilledAt) / 1000) * this.perSecond,
    );
    this.refilledAt = at;
  }

  private pump(): void {
    this.refill();
    while (this.waiting.length && this.active < this.concurrency && this.tokens >= 1) {
      if (this.perSecond !== Infinity) this.tokens--;
      this.active++;
      this.waiting.shift()!();
    }
    if (this.waiting.length && this.tokens < 1 && !this.timer) {
      const waitMs = Math.ceil(((1 - this.tokens) / this.perSecond) * 1000);
      this.timer = setTimeout(() => {
        this.timer = null;
        this.pump();
      }, waitMs);
    }
  }
}

const WINDOW_SECONDS = 5;

/** Messages a second over the last few seconds, from per-second counts. */
export class RateMeter {
  private readonly counts = new Array<number>(WINDOW_SECONDS + 1).fill(0);
  private second = 0;

  constructor(private readonly now: () => number = Date.now) {}

  tick(): void {
    this.advance();
    this.counts[this.second % this.counts.length]!++;
  }

  /** Over the last full seconds, so a second just begun does not halve the figure. */
  rate(): number {
    this.advance();
    const current = this.second % this.counts.length;
    const total = this.counts.reduce((sum, n, i) => (i === current ? sum : sum + n), 0);
    return total / WINDOW_SECONDS;
  }

  private advance(): void {
    const second = Math.floor(this.now() / 1000);
    if (second - this.second > this.counts.length) this.counts.fill(0);
    else for (let s = this.second + 1; s <= second; s++) this.counts[s % this.counts.length] = 0;
    this.second = Math.max(this.second, second);
  }
}

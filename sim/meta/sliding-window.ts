/**
 * Event times over the last `spanMs`, oldest first. Expired times are skipped by moving a head
 * index, so each event costs O(1) amortized however many events the window holds.
 */
export class SlidingWindow {
  private times: number[] = [];
  private head = 0;

  constructor(private readonly spanMs = 1_000) {}

  /** Events in (now - spanMs, now]. */
  count(now: number): number {
    const times = this.times;
    let head = this.head;
    while (head < times.length && now - (times[head] as number) >= this.spanMs) head++;
    // Compacted once the expired prefix is half the array, so every time is copied O(1) times.
    if (head >= 1_024 && head * 2 >= times.length) {
      this.times = times.slice(head);
      head = 0;
    }
    this.head = head;
    return this.times.length - head;
  }

  add(now: number) {
    this.times.push(now);
  }
}

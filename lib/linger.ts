/** Steps a linger is taken in: it ends at the first step in which nothing came. */
const STEPS = 5;

/**
 * Batching under load: before a batch is taken, waits up to `ms` for more items to join it,
 * only while they keep coming, and only when the last batch held more than one item (items
 * arrive faster than batches are written) and fewer than `full` wait. A lone item, or callers
 * who all wait on the batch already (nothing more can come), are never held back long.
 */
export class Linger {
  private lastBatch = 0;

  constructor(
    private readonly ms: number,
    private readonly full: number,
  ) {}

  /** Resolves when a batch may be taken; `waiting` counts the items waiting now. */
  async before(waiting: () => number): Promise<void> {
    if (this.ms <= 0 || this.lastBatch <= 1) return;
    const step = this.ms / STEPS;
    let seen = waiting();
    for (let i = 0; i < STEPS && seen < this.full; i++) {
      await new Promise((resolve) => setTimeout(resolve, step));
      const now = waiting();
      if (now === seen) return;
      seen = now;
    }
  }

  /** The size of the batch taken. */
  took(size: number): void {
    this.lastBatch = size;
  }
}

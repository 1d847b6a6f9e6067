/**
 * Batching under load: before a batch is taken, waits `ms` for more items to join it, but only
 * when the last batch held more than one item (items are arriving faster than batches are
 * written) and fewer than `full` wait. A lone item, under light load, is never held back.
 */
export class Linger {
  private lastBatch = 0;

  constructor(
    private readonly ms: number,
    private readonly full: number,
  ) {}

  /** Resolves when a batch may be taken from the `waiting` items. */
  async before(waiting: number): Promise<void> {
    if (this.ms > 0 && this.lastBatch > 1 && waiting < this.full) {
      await new Promise((resolve) => setTimeout(resolve, this.ms));
    }
  }

  /** The size of the batch taken. */
  took(size: number): void {
    this.lastBatch = size;
  }
}

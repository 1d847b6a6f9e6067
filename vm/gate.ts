/** Thrown when a key already has as many runs waiting as it may. */
export class BusyError extends Error {}

/**
 * Lets at most `slots` runs in at once, and shares the slots out between keys (organizations)
 * in turn: a key that queues a thousand runs waits behind itself, not in front of the others.
 */
export class FairGate {
  private running = 0;
  private readonly queues = new Map<string, (() => void)[]>();

  constructor(
    private readonly slots: number,
    private readonly maxQueuedPerKey: number,
  ) {}

  async enter(key: string): Promise<void> {
    if (this.running < this.slots && this.queues.size === 0) {
      this.running++;
      return;
    }
    const queue = this.queues.get(key) ?? [];
    if (queue.length >= this.maxQueuedPerKey) {
      throw new BusyError('Too many runs of this organization are waiting; try again shortly');
    }
    this.queues.set(key, queue);
    await new Promise<void>((resolve) => queue.push(resolve));
  }

  leave(): void {
    // The key first in line goes to the back after its turn (a Map keeps insertion order).
    const entry = this.queues.entries().next().value;
    if (!entry) {
      this.running--;
      return;
    }
    const [key, queue] = entry;
    const next = queue.shift()!;
    this.queues.delete(key);
    if (queue.length) this.queues.set(key, queue);
    next();
  }
}

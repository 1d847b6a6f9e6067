interface Lane {
  active: number;
  waiting: { resume: () => void; since: number }[];
}

/**
 * At most `perEndpoint` attempts in flight to any one endpoint, the rest waiting their turn in
 * order; so a slow or dead endpoint holds its own lane, never the deliveries to the others.
 */
export class EndpointLanes {
  private readonly lanes = new Map<string, Lane>();

  constructor(
    private readonly perEndpoint: number,
    /** How long the first in line may have waited before the lane counts as stuck. */
    private readonly maxWaitMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The endpoint is not keeping up: the attempt first in line has waited too long. A healthy
   * endpoint under a burst drains its lane; a dead one would only hoard attempts in memory.
   */
  stuck(endpointId: string): boolean {
    const first = this.lanes.get(endpointId)?.waiting[0];
    return first !== undefined && this.now() - first.since > this.maxWaitMs;
  }

  async run<T>(endpointId: string, fn: () => Promise<T>): Promise<T> {
    let lane = this.lanes.get(endpointId);
    if (!lane) {
      lane = { active: 0, waiting: [] };
      this.lanes.set(endpointId, lane);
    }
    // A finishing attempt hands its slot straight to the next in line, so none can jump it.
    if (lane.active < this.perEndpoint) lane.active++;
    else await new Promise<void>((resume) => lane.waiting.push({ resume, since: this.now() }));
    try {
      return await fn();
    } finally {
      const next = lane.waiting.shift();
      if (next) next.resume();
      else if (--lane.active === 0) this.lanes.delete(endpointId);
    }
  }
}

/**
 * A window of a rate limit: what one key may do from `start` to `end`. Windows are aligned on
 * the clock, so every process names the current one alike.
 */
export interface RateWindow {
  /** What is limited and which window, e.g. `key:<id>:m`. */
  key: string;
  /** Ms since the epoch. */
  start: number;
  end: number;
}

/**
 * A window's quota is handed out in blocks, numbered from 0, whose sizes every process derives
 * alike from the limit (api/rate-limiter.ts). Claiming a block is the only write: atomic across
 * processes, so the blocks given out never add up to more than the limit.
 */
export interface RateWindowRepository {
  /**
   * Claims the window's lowest unclaimed block: its index, or null once all `blocks` are
   * claimed. `from` says that the blocks below it are known to be claimed (a hint).
   */
  claim(window: RateWindow, blocks: number, from: number): Promise<number | null>;
  /** Deletes the windows that ended before `now`; how many were deleted. */
  purgeEnded(now: number): Promise<number>;
}

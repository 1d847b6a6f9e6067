import type { InjectedFailure } from './types';

interface Run {
  failure: InjectedFailure;
  remaining: number;
  /** Queue order across the runs for any number and those for one number. */
  seq: number;
}

/**
 * Failures queued by `failNext`, consumed in the order queued: a send gets the oldest one meant
 * for its number or for any number. Kept as runs, so a count of thousands is one entry.
 */
export class FailureQueue {
  private seq = 0;
  private readonly anyNumber: Run[] = [];
  private readonly byNumber = new Map<string, Run[]>();

  push(count: number, failure: InjectedFailure) {
    const run = { failure, remaining: count, seq: this.seq++ };
    const id = failure.phoneNumberId;
    if (id === undefined) {
      this.anyNumber.push(run);
      return;
    }
    const runs = this.byNumber.get(id);
    if (runs) runs.push(run);
    else this.byNumber.set(id, [run]);
  }

  next(phoneNumberId: string): InjectedFailure | undefined {
    const own = this.byNumber.get(phoneNumberId);
    const shared = this.anyNumber[0];
    const mine = own?.[0];
    const runs = mine && (!shared || mine.seq < shared.seq) ? own : this.anyNumber;
    const run = runs?.[0];
    if (!runs || !run) return undefined;
    if (--run.remaining === 0) runs.shift();
    if (own?.length === 0) this.byNumber.delete(phoneNumberId);
    return run.failure;
  }

  clear() {
    this.anyNumber.splice(0);
    this.byNumber.clear();
  }
}

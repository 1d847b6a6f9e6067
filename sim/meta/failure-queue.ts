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
  /** Failures for one recipient, checked once a send's body is found valid. */
  private readonly byRecipient = new Map<string, Run[]>();

  /** `always`: every matching send gets it until the queue is cleared. */
  push(count: number | 'always', failure: InjectedFailure) {
    const run = { failure, remaining: count === 'always' ? Infinity : count, seq: this.seq++ };
    const recipient = 'recipient' in failure ? failure.recipient : undefined;
    if (recipient !== undefined) {
      const runs = this.byRecipient.get(recipient);
      if (runs) runs.push(run);
      else this.byRecipient.set(recipient, [run]);
      return;
    }
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

  /** The oldest failure for any of `recipients` (its phone and BSUID) sent from this number. */
  forRecipient(phoneNumberId: string, recipients: string[]): InjectedFailure | undefined {
    let found: { key: string; runs: Run[]; index: number } | undefined;
    for (const key of recipients) {
      const runs = this.byRecipient.get(key) ?? [];
      const index = runs.findIndex(
        (r) => r.failure.phoneNumberId === undefined || r.failure.phoneNumberId === phoneNumberId,
      );
      const run = runs[index];
      if (run && (!found || run.seq < found.runs[found.index]!.seq)) found = { key, runs, index };
    }
    if (!found) return undefined;
    const run = found.runs[found.index]!;
    if (--run.remaining === 0) found.runs.splice(found.index, 1);
    if (found.runs.length === 0) this.byRecipient.delete(found.key);
    return run.failure;
  }

  clear() {
    this.anyNumber.splice(0);
    this.byNumber.clear();
    this.byRecipient.clear();
  }
}

import { setTimeout as sleep } from 'node:timers/promises';
import { Linger } from '../lib/linger';
import type { Store } from '../store/contract';
import type { SendOutcome } from '../store/contract/send-queue';
import type { EventDoc } from '../store/documents';
import type { Signals } from '../store/signals';

interface Pending {
  outcome: SendOutcome;
  events: EventDoc[];
  done: () => void;
}

/** Settled ids per signal: well under PostgreSQL's 8,000-byte NOTIFY payload. */
const IDS_PER_SIGNAL = 150;
const WRITE_TRIES = 5;
/**
 * Under load (the last write held more than one outcome), a write waits up to this long for
 * more while they keep coming: per outcome, a settle of 32 costs PostgreSQL half what a settle
 * of 4 does. It delays only the recording: the send's connection is free once Meta answers.
 */
const LINGER_MS = 30;
/** Enough outcomes to write at once without waiting for more. */
const FULL_BATCH = 128;

/**
 * Records outcomes as they come, in one store write for everything that came while the
 * previous write was in flight, then tells the API processes which messages settled.
 * A failed write is tried a few times; after that the claims are left to expire, and are
 * claimed again and checked against Meta's status webhooks (see the lane), as a dead process's.
 */
export class Settler {
  private pending: Pending[] = [];
  private writing = false;
  private readonly linger = new Linger(LINGER_MS, FULL_BATCH);

  constructor(
    private readonly store: Store,
    private readonly signals: Signals,
    private readonly owner: string,
    private readonly log: { warn(obj: object, msg: string): void },
    /** Leaves out the events nothing reads (see webhooks/event-filter.ts). */
    private readonly eventFilter?: (events: EventDoc[]) => Promise<EventDoc[]>,
  ) {}

  settle(outcome: SendOutcome, events: EventDoc[] = []): Promise<void> {
    return new Promise((done) => {
      this.pending.push({ outcome, events, done });
      if (!this.writing) void this.write();
    });
  }

  private async write(): Promise<void> {
    this.writing = true;
    while (this.pending.length) {
      await this.linger.before(() => this.pending.length);
      const batch = this.pending.splice(0);
      this.linger.took(batch.length);
      for (let tries = 1; ; tries++) {
        try {
          const events = batch.flatMap((p) => p.events);
          await this.store.sendQueue.settle(
            this.owner,
            batch.map((p) => p.outcome),
            this.eventFilter ? await this.eventFilter(events) : events,
          );
          break;
        } catch (err) {
          this.log.warn({ err, count: batch.length, tries }, 'recording send outcomes failed');
          if (tries === WRITE_TRIES) break;
          await sleep(200 * tries);
        }
      }
      batch.forEach((p) => p.done());
      const ids = batch
        .filter((p) => p.outcome.kind === 'sent' || p.outcome.kind === 'failed')
        .map((p) => p.outcome.id);
      for (let i = 0; i < ids.length; i += IDS_PER_SIGNAL) {
        await this.signals
          .publish('send_settled', ids.slice(i, i + IDS_PER_SIGNAL).join(','))
          .catch(() => undefined);
      }
    }
    this.writing = false;
  }
}

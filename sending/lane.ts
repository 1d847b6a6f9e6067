import { setTimeout as sleep } from 'node:timers/promises';
import type { MediaResolver } from '../media/outbound-media';
import type { MetaClient, SendEndpoint } from '../meta/client';
import type { Config } from '../lib/config';
import type { Store } from '../store/contract';
import type { ClaimedSend, SendOutcome } from '../store/contract/send-queue';
import type { AccountDoc, MessageDoc } from '../store/documents';
import { attemptSend, DISCONNECTED, type Attempt } from './attempt';
import { failedEvent, sentEvent } from './message-events';
import { Pacer } from './pacer';
import { PairRate, recipientKey } from './pair-rate';
import { RateMeter } from './rate-meter';
import type { RetryReporter } from './retries';
import type { Settler } from './settler';

/** A claim holds this many seconds of sends at the number's pace. */
const CLAIM_SECONDS = 0.25;
const MAX_CLAIM = 250;
/** A lane with nothing to send gives its number up after this long. */
const IDLE_MS = 2_000;
/** Temporal unreachable: a failed attempt waits this long in the queue instead. */
const NO_RETRY_WORKFLOW_DELAY_MS = 5_000;
const NOT_FOUND = { code: 0, message: 'WhatsApp account not found' };
const NO_ANSWER = { code: 0, message: 'No answer recorded for an earlier attempt' };

export interface Counters {
  inc(name: string, labels: Record<string, string>, by?: number): void;
}

export interface LaneDeps {
  store: Store;
  meta: MetaClient;
  owner: string;
  settler: Settler;
  retries: RetryReporter;
  account(id: string): Promise<AccountDoc | null>;
  /** The template's category as last stored (MARKETING, UTILITY...), cached; null if unknown. */
  templateCategory(
    account: AccountDoc,
    name: string,
    language: string | null,
  ): Promise<string | null>;
  forgetAccount(id: string): void;
  /** Puts the account's Meta ids in place of Waflow's media ids as a message goes out. */
  media?: MediaResolver;
  send: Config['send'];
  noAnswerRecheckMs: number;
  counters: Counters;
  log: { warn(obj: object, msg: string): void };
}

/**
 * One number's sends, in the one process that holds its lane: claims what is due, paces it
 * at the number's throughput and each recipient's pair rate, sends, and settles each outcome.
 */
export class Lane {
  private stopping = false;
  private wakeUp: (() => void) | null = null;
  private readonly pacer = new Pacer(1);
  private readonly pairs: PairRate;
  private readonly meter = new RateMeter();
  private readonly inFlight = new Set<Promise<void>>();
  /** Sends awaiting Meta's answer, and a wait for one of them to end. */
  private sending = 0;
  private sendEnded: (() => void) | null = null;

  constructor(
    readonly accountId: string,
    private readonly deps: LaneDeps,
  ) {
    this.pairs = new PairRate(deps.send.pairRate);
  }

  poke(): void {
    this.wakeUp?.();
  }

  stop(): void {
    this.stopping = true;
    this.poke();
  }

  /** Runs until the lane is idle, lost to another process, or stopped. */
  async run(): Promise<void> {
    const { store, owner, send } = this.deps;
    const hold = () => store.sendLanes.acquire(this.accountId, owner, send.laneLeaseMs);
    // Another process holds the lane: nothing to give back.
    if (!(await hold())) return;
    let renewAt = Date.now() + send.laneLeaseMs / 3;
    let idleSince = Date.now();
    try {
      while (!this.stopping) {
        if (Date.now() >= renewAt) {
          if (!(await hold())) return;
          renewAt = Date.now() + send.laneLeaseMs / 3;
          await store.sendLanes.report(this.accountId, owner, this.meter.rate());
        }
        const account = await this.deps.account(this.accountId);
        if (account) this.pacer.setThroughput(account.throughput);
        const limit = Math.min(MAX_CLAIM, Math.ceil(this.pacer.rate() * CLAIM_SECONDS));
        const claimed = await store.sendQueue.claim(this.accountId, owner, {
          limit: Math.max(1, limit),
          leaseMs: send.claimLeaseMs,
        });
        if (!claimed.length) {
          if (Date.now() - idleSince >= IDLE_MS) return;
          await this.idle(send.pollMs);
          continue;
        }
        idleSince = Date.now();
        await this.dispatch(account, claimed);
      }
    } finally {
      await Promise.all(this.inFlight);
      await store.sendLanes.report(this.accountId, owner, 0).catch(() => undefined);
      await store.sendLanes.release(this.accountId, owner).catch(() => undefined);
    }
  }

  private async idle(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wakeUp = null;
  }

  /** Starts each claimed send at its slot; outcomes settle as they come. */
  private async dispatch(account: AccountDoc | null, claimed: ClaimedSend[]): Promise<void> {
    const { settler } = this.deps;
    const token = account ? this.deps.store.accounts.credentials(account).accessToken : '';
    for (const c of claimed) {
      const m = c.message;
      const now = new Date();
      if (m.wamid) {
        // Meta's status webhook named it: an earlier attempt went out after all.
        this.track(this.settle(c, { id: m._id, kind: 'sent', wamid: m.wamid, at: now }));
      } else if (!account) {
        this.track(this.fail(c, NOT_FOUND));
      } else if (account.status === 'disconnected') {
        this.track(this.fail(c, DISCONNECTED));
      } else if (c.entry.claims > 1) {
        // An earlier claim ended without an outcome (its process died): it may have gone out.
        // Its status webhook would tell; the retry workflow waits for it before sending again.
        this.track(this.retry(c, { reason: NO_ANSWER, delayMs: this.deps.noAnswerRecheckMs }));
      } else {
        const wait = this.pairs.take(recipientKey(m));
        if (wait > 0) {
          this.track(settler.settle({ id: m._id, kind: 'later', notBefore: at(wait) }));
          continue;
        }
        // Back-pressure: answers slower than the pace hold the next send back rather than
        // piling requests up until they time out (and each becomes a retry).
        while (this.sending >= this.deps.send.connections) {
          await new Promise<void>((resolve) => (this.sendEnded = resolve));
        }
        const delay = this.pacer.reserve() - performance.now();
        if (delay >= 1) await sleep(delay);
        if (this.stopping) {
          this.track(settler.settle({ id: m._id, kind: 'later', notBefore: new Date() }));
          continue;
        }
        this.track(this.send(account, token, c));
      }
    }
  }

  private track(p: Promise<void>): void {
    const tracked = p
      .catch((err: unknown) => this.deps.log.warn({ err }, 'send failed unexpectedly'))
      .finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  private async send(account: AccountDoc, token: string, c: ClaimedSend): Promise<void> {
    const m = c.message;
    this.sending++;
    let attempt: Attempt;
    try {
      attempt = await attemptSend(
        this.deps.meta,
        account,
        token,
        m,
        await this.endpointFor(account, m),
        this.deps.media,
      );
    } finally {
      this.sending--;
      this.sendEnded?.();
      this.sendEnded = null;
    }
    this.count(attempt);
    const now = new Date();
    switch (attempt.kind) {
      case 'sent':
        this.meter.tick();
        return this.settle(c, { id: m._id, kind: 'sent', wamid: attempt.wamid, at: now });
      case 'failed':
        return this.fail(c, attempt.reason);
      case 'disconnected':
        await this.deps.store.accounts.markDisconnected(account._id, attempt.reason.message);
        this.deps.forgetAccount(account._id);
        return this.fail(c, DISCONNECTED);
      case 'throttled':
        this.pacer.slowDown();
        return this.deps.settler.settle({ id: m._id, kind: 'later', notBefore: at(1_000) });
      case 'pair-limited':
        this.pairs.drain(recipientKey(m));
        return this.deps.settler.settle({
          id: m._id,
          kind: 'later',
          notBefore: at(this.deps.send.pairRate.intervalMs),
        });
      case 'deferred':
        return this.defer(c, attempt.reason);
      case 'retry':
        return this.retry(c, {
          reason: attempt.reason,
          delayMs: attempt.ambiguous ? this.deps.noAnswerRecheckMs : undefined,
        });
    }
  }

  /** MARKETING templates of a number onboarded to the Marketing Messages API go there. */
  private async endpointFor(account: AccountDoc, m: MessageDoc): Promise<SendEndpoint> {
    if (!account.marketing_messages || m.type !== 'template') return 'messages';
    const t = m.content as { name?: unknown; language?: { code?: unknown } };
    if (typeof t.name !== 'string') return 'messages';
    const language = typeof t.language?.code === 'string' ? t.language.code : null;
    const category = await this.deps.templateCategory(account, t.name, language);
    return category === 'MARKETING' ? 'marketing_messages' : 'messages';
  }

  private count(attempt: Attempt): void {
    const labels = { account_id: this.accountId };
    if (attempt.kind === 'sent') this.deps.counters.inc('waflow_messages_sent_total', labels);
    else if (attempt.reason.code) {
      const code = String(attempt.reason.code);
      this.deps.counters.inc('waflow_meta_errors_total', { ...labels, code });
    }
  }

  private fail(c: ClaimedSend, reason: { code: number; message: string }): Promise<void> {
    const at = new Date();
    return this.settle(c, { id: c.message._id, kind: 'failed', reason, at }, [
      failedEvent(c.message, reason, at),
    ]);
  }

  /** Sent or failed: recorded with its event, and its retry workflow (if any) told. */
  private async settle(c: ClaimedSend, outcome: SendOutcome, events = eventsOf(c, outcome)) {
    await this.deps.settler.settle(outcome, events);
    if (c.entry.retrying) await this.deps.retries.settled(c.message._id);
  }

  /** 131049: the retry workflow sends it again a day later; meanwhile it shows deferred. */
  private async defer(c: ClaimedSend, reason: { code: number; message: string }): Promise<void> {
    const { retryMs, maxMs } = this.deps.send.marketingLimit;
    try {
      await this.deps.retries.retry(c.message, { kind: 'deferred', reason, retryMs, maxMs });
    } catch (err) {
      this.deps.log.warn({ err, message: c.message._id }, 'retry workflow unreachable');
      const notBefore = at(NO_RETRY_WORKFLOW_DELAY_MS);
      return this.deps.settler.settle({ id: c.message._id, kind: 'later', notBefore });
    }
    await this.deps.settler.settle({
      id: c.message._id,
      kind: 'deferred',
      until: at(retryMs),
      reason,
    });
  }

  /** Reported to the retry workflow before the entry is held, so it is never held unwatched. */
  private async retry(
    c: ClaimedSend,
    report: { reason: { code: number; message: string }; delayMs?: number },
  ): Promise<void> {
    try {
      await this.deps.retries.retry(c.message, { kind: 'retry', ...report });
    } catch (err) {
      this.deps.log.warn({ err, message: c.message._id }, 'retry workflow unreachable');
      const notBefore = at(NO_RETRY_WORKFLOW_DELAY_MS);
      return this.deps.settler.settle({ id: c.message._id, kind: 'later', notBefore });
    }
    await this.deps.settler.settle({ id: c.message._id, kind: 'held' });
  }
}

const at = (ms: number) => new Date(Date.now() + ms);

function eventsOf(c: ClaimedSend, outcome: SendOutcome) {
  return outcome.kind === 'sent' ? [sentEvent(c.message, outcome.wamid, outcome.at)] : [];
}

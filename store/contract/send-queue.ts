import type { EventDoc, MessageDoc } from '../documents';
import type { NewMessage, StatusReason } from './messages';

/**
 * Transactional messages (API sends, WooCommerce, payment links) are claimed before bulk ones
 * (campaigns, sequences) of the same number.
 */
export type SendClass = 'transactional' | 'bulk';

/** A message's place in its number's send queue. */
export interface SendQueueEntry {
  message_id: string;
  account_id: string;
  class: SendClass;
  /** Not claimed before this time (throughput, pair rate). */
  not_before: Date;
  owner: string | null;
  lease_until: Date | null;
  /** Claims since the entry was last released: above 1, an earlier claim's outcome is unknown. */
  claims: number;
  /** Waiting for its retry workflow (`message:<id>`), not claimable. */
  held: boolean;
  /** A retry workflow waits for this entry's outcome. */
  retrying: boolean;
  created_at: Date;
}

export interface ClaimedSend {
  message: MessageDoc;
  entry: SendQueueEntry;
}

export type SendOutcome =
  /** Meta accepted it: the message is `sent` with its wamid, and leaves the queue. */
  | { id: string; kind: 'sent'; wamid: string; at: Date }
  /** Final: the message is `failed` with the reason, and leaves the queue. */
  | { id: string; kind: 'failed'; reason: StatusReason; at: Date }
  /** Not sent: claimable again from `notBefore` (throughput, pair rate), its claims reset. */
  | { id: string; kind: 'later'; notBefore: Date }
  /** Its retry workflow decides when it is claimable again. */
  | { id: string; kind: 'held' }
  /**
   * Held as `held`, and the message shows deferred until `until` (Meta's per-user marketing
   * cap, 131049): its retry workflow releases it then.
   */
  | { id: string; kind: 'deferred'; until: Date; reason: StatusReason };

/** A `failed` status carrying Meta's per-user marketing cap (131049), for `deferSent`. */
export interface MarketingCapStatus {
  orgId: string;
  wamid: string;
  /** Our message id, echoed by Meta in biz_opaque_callback_data. */
  messageId: string | null;
  at: Date;
  reason: StatusReason;
  /** When its retry workflow sends it again. */
  until: Date;
}

/** The message a 131049 status sent back to the queue; `fresh` false when a copy of it did. */
export interface DeferredSent {
  message: MessageDoc;
  fresh: boolean;
}

export interface SendQueueRepository {
  /**
   * Stores messages `queued` with their queue entries, each message and its entry in one write.
   * A message id already stored is returned as stored (`created: false`), not queued again.
   */
  enqueue(
    messages: NewMessage[],
    cls: SendClass,
    at?: Date,
  ): Promise<{ doc: MessageDoc; created: boolean }[]>;
  /**
   * Claims up to `limit` due entries of one account for `owner` until `leaseMs` from now:
   * transactional before bulk, then oldest first. An entry whose lease ran out is due again.
   */
  claim(
    accountId: string,
    owner: string,
    opts: { limit: number; leaseMs: number },
  ): Promise<ClaimedSend[]>;
  /**
   * Records outcomes and their events (`message.sent`, `message.failed`) in one transaction
   * where the store has them. `later` and `held` apply only while `owner` holds the claim.
   */
  settle(owner: string, outcomes: SendOutcome[], events: EventDoc[]): Promise<void>;
  /**
   * 131049 reported in a `failed` status, in one write per batch: the sent message under that
   * wamid goes back to the queue, `queued` and deferred until `until`, its wamid cleared (the
   * next send records its own), a `deferred` history entry keeping the wamid given up, and its
   * entry held for its retry workflow. Per status (same order): the message, `fresh` false when
   * a copy of the status deferred it already; `ahead` when its message (by our id) has no wamid
   * yet, its send's answer not recorded; null when no message has that wamid.
   */
  deferSent(statuses: MarketingCapStatus[]): Promise<(DeferredSent | 'ahead' | null)[]>;
  /**
   * A held entry becomes claimable at `notBefore`, its claims reset, its message no longer
   * deferred; false if it is gone.
   */
  release(id: string, notBefore: Date): Promise<boolean>;
  entry(id: string): Promise<SendQueueEntry | null>;
  /** Accounts with entries due now, at most `limit`. */
  dueAccounts(limit: number): Promise<string[]>;
  /** Entries per account and class (held ones included); all accounts when none are named. */
  depths(accountIds?: string[]): Promise<Map<string, Record<SendClass, number>>>;
}

/** Who sends for a number: one process at a time, so its throughput holds across processes. */
export interface SendLaneDoc {
  account_id: string;
  owner: string | null;
  lease_until: Date | null;
  /** Messages a second over the owner's last few seconds. */
  rate: number;
  updated_at: Date;
}

export interface SendLaneRepository {
  /** Takes the lane if free or expired, or renews it for its owner; true when `owner` holds it. */
  acquire(accountId: string, owner: string, leaseMs: number): Promise<boolean>;
  /** Reports the owner's current send rate (ignored unless `owner` holds the lane). */
  report(accountId: string, owner: string, rate: number): Promise<void>;
  /** Gives the lane up, so another process can take it at once. */
  release(accountId: string, owner: string): Promise<void>;
  list(accountIds?: string[]): Promise<SendLaneDoc[]>;
}

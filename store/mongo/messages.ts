import type { Db, Filter } from 'mongodb';
import type {
  MessageRepository,
  StatusReason,
  StatusTarget,
  StatusUpdate,
} from '../contract/messages';
import type { MessageDoc, MessageStatus } from '../documents';
import { FREE_IN_WINDOW, newMessageDoc, STATUS_RANK, statusTarget } from '../messages';
import { isDuplicateKey, retryBusy } from './duplicate-key';
import { keyedLock } from '../../lib/keyed-lock';

/** What is stored beyond MessageDoc: the rank of the status, and which statuses were seen. */
type StoredMessage = MessageDoc & {
  status_rank: number;
  status_seen: Partial<Record<MessageStatus, true>>;
};

type Reason = StatusReason;

/** Store-internal fields (status order, send queue entry) stay out of what it returns. */
const HIDDEN = { status_rank: 0, status_seen: 0, dispatch: 0 } as const;

const historyEntry = (status: MessageStatus, at: Date, error: Reason | null) =>
  error ? { status, at, error } : { status, at };

const forward = (status: MessageStatus, error: Reason | null) => ({
  status,
  status_rank: STATUS_RANK[status],
  updated_at: new Date(),
  ...(error ? { error } : {}),
});

/** Messages that count against the messaging limit (see MessageRepository). */
const businessInitiated = (accountIds: string[], since: Date): Filter<StoredMessage> => ({
  account_id: { $in: accountIds },
  type: 'template',
  created_at: { $gt: since },
  direction: 'outbound',
  status: { $ne: 'failed' },
  'pricing.type': { $ne: FREE_IN_WINDOW },
});

export function messageRepository(db: Db): MessageRepository {
  const col = db.collection<StoredMessage>('messages');

  /**
   * The usual case in one write: a status not seen yet that moves the message forward. False
   * when the message is not in that state (a duplicate, or a status arriving late).
   */
  async function advance(
    id: string,
    status: MessageStatus,
    at: Date,
    error: Reason | null,
    filter: Filter<StoredMessage> = {},
    set: Partial<StoredMessage> = {},
  ): Promise<boolean> {
    const seen = `status_seen.${status}`;
    const res = await col.updateOne(
      { ...filter, _id: id, [seen]: { $exists: false }, status_rank: { $lt: STATUS_RANK[status] } },
      {
        $push: { status_history: historyEntry(status, at, error) },
        $set: { ...set, ...forward(status, error), [seen]: true },
      },
    );
    return res.matchedCount === 1;
  }

  /**
   * Applies a status: the history gets each status once, the current status only moves
   * forward. Safe to repeat, in any order.
   */
  async function apply(
    id: string,
    status: MessageStatus,
    at: Date,
    error: Reason | null,
    extra: Partial<StoredMessage> = {},
  ) {
    if (await advance(id, status, at, error, {}, extra)) return;
    // A flag per status rather than a query into the history array: the same filter works on
    // MongoDB and FerretDB.
    const seen = `status_seen.${status}`;
    await col.updateOne(
      { _id: id, [seen]: { $exists: false } },
      {
        $push: { status_history: historyEntry(status, at, error) },
        $set: { [seen]: true },
      },
    );
    // The send's answer may have recorded this status already, without Meta's pricing.
    if (Object.keys(extra).length) await col.updateOne({ _id: id }, { $set: extra });
    await col.updateOne(
      { _id: id, status_rank: { $lt: STATUS_RANK[status] } },
      { $set: forward(status, error) },
    );
  }

  const serially = keyedLock();

  /** The message a status is about: by wamid, else by our id (recording the wamid there). */
  async function target(u: StatusUpdate): Promise<string | null> {
    const byWamid = await col.findOne(
      { wamid: u.wamid, org_id: u.orgId },
      { projection: { _id: 1 } },
    );
    if (byWamid) return byWamid._id;
    if (!u.messageId) return null;
    const byId = await col.findOne(
      { _id: u.messageId, org_id: u.orgId },
      { projection: { _id: 1, status_history: 1 } },
    );
    // Not a message that gave this wamid up (131049 sent it back to the queue): a late copy of
    // that send's statuses would else take the message for a send that did not happen.
    if (!byId || byId.status_history.some((h) => h.wamid === u.wamid)) return null;
    await repo.setWamid(byId._id, u.wamid);
    return byId._id;
  }

  const repo: MessageRepository = {
    /** Inserts once; a second insert of the same id returns the stored message. */
    async insert(message, at = new Date()) {
      const doc: StoredMessage = {
        ...newMessageDoc(message, at),
        status_rank: STATUS_RANK[message.status],
        status_seen: { [message.status]: true },
      };
      try {
        await col.insertOne(doc);
        const { status_rank, status_seen, ...stored } = doc;
        return { doc: stored, created: true };
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        const existing = await col.findOne({ _id: message._id }, { projection: HIDDEN });
        if (!existing) throw err;
        return { doc: existing, created: false };
      }
    },

    get(orgId, id) {
      return col.findOne({ _id: id, org_id: orgId }, { projection: HIDDEN });
    },

    /** Unscoped: status webhooks name the message only by its wamid. */
    byWamid(wamid) {
      return col.findOne({ wamid }, { projection: HIDDEN });
    },

    /** Unscoped, by our own id (echoed back by Meta in biz_opaque_callback_data). */
    byId(id) {
      return col.findOne({ _id: id }, { projection: HIDDEN });
    },

    /** Records Meta's id for a message; never replaces one already recorded. */
    async setWamid(id, wamid) {
      await col.updateOne({ _id: id, wamid: null }, { $set: { wamid, updated_at: new Date() } });
    },

    /**
     * Meta accepted the message: its wamid and the `sent` status in one write. When a status
     * webhook got there first, falls back to the careful path.
     */
    recordSent: (id, wamid, at = new Date()) =>
      serially(id, () =>
        retryBusy(async () => {
          if (await advance(id, 'sent', at, null, { wamid: null }, { wamid })) return;
          await repo.setWamid(id, wamid);
          await apply(id, 'sent', at, null);
        }),
      ),

    applyStatus: (id, status, at, error = null) =>
      serially(id, () => retryBusy(() => apply(id, status, at, error))),

    /** One status at a time: FerretDB checks correctness here, not speed. */
    async applyStatuses(updates) {
      const targets = new Map<string, string | null>();
      const ids: (string | null)[] = [];
      for (const u of updates) {
        const key = JSON.stringify([u.orgId, u.wamid, u.messageId]);
        if (!targets.has(key)) targets.set(key, await target(u));
        const id = targets.get(key) ?? null;
        ids.push(id);
        // Pricing rides in the status's own write: a duplicate status already stored it.
        const extra = {
          ...(u.pricing ? { pricing: u.pricing } : {}),
          ...(u.conversation ? { conversation: u.conversation } : {}),
        };
        if (id)
          await serially(id, () => retryBusy(() => apply(id, u.status, u.at, u.error, extra)));
      }
      const docs = new Map<string, StatusTarget | null>();
      for (const id of new Set(ids)) {
        const doc = id && (await repo.byId(id));
        if (doc) docs.set(doc._id, statusTarget(doc));
      }
      return ids.map((id) => (id ? (docs.get(id) ?? null) : null));
    },

    // Distinct and a sorted find: FerretDB has no $min accumulator.
    async businessInitiatedReach(accountIds, since) {
      const filter = businessInitiated(accountIds, since);
      const [users, first] = await Promise.all([
        col.distinct('contact_id', filter),
        col
          .find(filter, { projection: { created_at: 1 } })
          .sort({ created_at: 1 })
          .limit(1)
          .next(),
      ]);
      return { users: users.length, oldest: first?.created_at ?? null };
    },

    async reachedAmong(accountIds, since, contactIds) {
      if (!contactIds.length) return [];
      return col.distinct('contact_id', {
        ...businessInitiated(accountIds, since),
        contact_id: { $in: contactIds },
      });
    },

    async lastSentAt(orgId, contactId, origin, originId) {
      // The contact's messages newest first (org_contact_created) up to the first match.
      const [found] = await col
        .find(
          {
            org_id: orgId,
            contact_id: contactId,
            direction: 'outbound',
            origin,
            origin_id: originId,
            status: { $ne: 'failed' },
          },
          { projection: { created_at: 1 } },
        )
        .sort({ created_at: -1, _id: -1 })
        .limit(1)
        .toArray();
      return found?.created_at ?? null;
    },

    /**
     * A contact's messages, newest first. The cursor is the last item's time and id, so new
     * messages arriving between pages never shift what the next page returns.
     */
    history(orgId, contactId, opts) {
      const filter: Filter<StoredMessage> = { org_id: orgId, contact_id: contactId };
      if (opts.beforeTime) {
        filter.$or = [
          { created_at: { $lt: opts.beforeTime } },
          ...(opts.beforeId ? [{ created_at: opts.beforeTime, _id: { $lt: opts.beforeId } }] : []),
        ];
      }
      return col
        .find(filter, { projection: HIDDEN })
        .sort({ created_at: -1, _id: -1 })
        .limit(opts.limit)
        .toArray();
    },
  };
  return repo;
}

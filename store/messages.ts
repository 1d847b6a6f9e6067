import type { Db, Filter } from 'mongodb';
import type { MessageDoc, MessageStatus } from './documents';
import { isDuplicateKey } from './duplicate-key';

/** Statuses only move forward; `failed` is final. */
export const STATUS_RANK: Record<MessageStatus, number> = {
  queued: 0,
  sent: 1,
  delivered: 2,
  read: 3,
  failed: 4,
};

/** What is stored beyond MessageDoc: the rank of the status, and which statuses were seen. */
type StoredMessage = MessageDoc & {
  status_rank: number;
  status_seen: Partial<Record<MessageStatus, true>>;
};

type Reason = { code: number; message: string };

const historyEntry = (status: MessageStatus, at: Date, error: Reason | null) =>
  error ? { status, at, error } : { status, at };

const forward = (status: MessageStatus, error: Reason | null) => ({
  status,
  status_rank: STATUS_RANK[status],
  updated_at: new Date(),
  ...(error ? { error } : {}),
});

export type NewMessage = Omit<MessageDoc, 'created_at' | 'updated_at' | 'status_history' | 'error'>;

export function messageRepository(db: Db) {
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

  const repo = {
    /** Inserts once; a second insert of the same id returns the stored message. */
    async insert(
      message: NewMessage,
      at = new Date(),
    ): Promise<{ doc: MessageDoc; created: boolean }> {
      const doc: StoredMessage = {
        ...message,
        status_rank: STATUS_RANK[message.status],
        status_seen: { [message.status]: true },
        status_history: [{ status: message.status, at }],
        error: null,
        created_at: at,
        updated_at: at,
      };
      try {
        await col.insertOne(doc);
        return { doc, created: true };
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        const existing = await col.findOne({ _id: message._id });
        if (!existing) throw err;
        return { doc: existing, created: false };
      }
    },

    get(orgId: string, id: string) {
      return col.findOne({ _id: id, org_id: orgId });
    },

    /** Unscoped: status webhooks name the message only by its wamid. */
    byWamid(wamid: string) {
      return col.findOne({ wamid });
    },

    /** Unscoped, by our own id (echoed back by Meta in biz_opaque_callback_data). */
    byId(id: string) {
      return col.findOne({ _id: id });
    },

    /** Records Meta's id for a message; never replaces one already recorded. */
    async setWamid(id: string, wamid: string): Promise<void> {
      await col.updateOne({ _id: id, wamid: null }, { $set: { wamid, updated_at: new Date() } });
    },

    /**
     * Meta accepted the message: its wamid and the `sent` status in one write. When a status
     * webhook got there first, falls back to the careful path.
     */
    async recordSent(id: string, wamid: string, at = new Date()): Promise<void> {
      if (await advance(id, 'sent', at, null, { wamid: null }, { wamid })) return;
      await repo.setWamid(id, wamid);
      await repo.applyStatus(id, 'sent', at);
    },

    /**
     * Applies a status: the history gets each status once, the current status only moves
     * forward. Safe to repeat, in any order.
     */
    async applyStatus(id: string, status: MessageStatus, at: Date, error: Reason | null = null) {
      if (await advance(id, status, at, error)) return;
      // A flag per status rather than a query into the history array: the same filter works on
      // MongoDB and FerretDB.
      const seen = `status_seen.${status}`;
      await col.updateOne(
        { _id: id, [seen]: { $exists: false } },
        { $push: { status_history: historyEntry(status, at, error) }, $set: { [seen]: true } },
      );
      await col.updateOne(
        { _id: id, status_rank: { $lt: STATUS_RANK[status] } },
        { $set: forward(status, error) },
      );
    },

    /**
     * A contact's messages, newest first. The cursor is the last item's time and id, so new
     * messages arriving between pages never shift what the next page returns.
     */
    history(
      orgId: string,
      contactId: string,
      opts: { limit: number; beforeTime?: Date; beforeId?: string },
    ) {
      const filter: Filter<StoredMessage> = { org_id: orgId, contact_id: contactId };
      if (opts.beforeTime) {
        filter.$or = [
          { created_at: { $lt: opts.beforeTime } },
          ...(opts.beforeId ? [{ created_at: opts.beforeTime, _id: { $lt: opts.beforeId } }] : []),
        ];
      }
      return col
        .find(filter, { projection: { status_rank: 0, status_seen: 0 } })
        .sort({ created_at: -1, _id: -1 })
        .limit(opts.limit)
        .toArray();
    },
  };
  return repo;
}

export type MessageRepository = ReturnType<typeof messageRepository>;

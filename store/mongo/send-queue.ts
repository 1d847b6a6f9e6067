import type { AnyBulkWriteOperation, Db, Filter } from 'mongodb';
import type {
  ClaimedSend,
  DeferredSent,
  SendClass,
  SendOutcome,
  SendQueueEntry,
  SendQueueRepository,
} from '../contract/send-queue';
import type { EventDoc, MessageDoc, MessageStatus } from '../documents';
import type { EventFeed } from '../event-feed';
import { DEFERRABLE_STATUSES, newMessageDoc, sendClassOf, STATUS_RANK } from '../messages';
import { insertManyNew, retryBusy } from './duplicate-key';
import { keyedLock } from '../../lib/keyed-lock';

/** FerretDB never answers a bulkWrite of 100 operations or more: write fewer at a time. */
const BULK_CHUNK = 99;
/** Documents per insertMany; FerretDB takes a thousand at once well. */
const INSERT_CHUNK = 1_000;

const PRIORITY: Record<SendClass, number> = { transactional: 0, bulk: 1 };

/**
 * A message's queue entry, kept in the message document itself: enqueueing and claiming are
 * then single-document writes, atomic without multi-document transactions.
 */
interface Dispatch {
  class: SendClass;
  priority: number;
  /** Claim order within a priority: increasing in this process, by time across processes. */
  seq: number;
  not_before: Date;
  owner: string | null;
  lease_until: Date | null;
  claims: number;
  held: boolean;
  retrying: boolean;
  created_at: Date;
}

/** A message as stored (see messages.ts for the status fields), with its queue entry. */
type QueuedMessage = MessageDoc & {
  status_rank: number;
  status_seen: Partial<Record<MessageStatus, true>>;
  dispatch?: Dispatch;
};

/** Store-internal fields stay out of what it returns. */
const HIDDEN = { status_rank: 0, status_seen: 0, dispatch: 0 } as const;

let lastSeq = 0;
/** Microseconds since the epoch, made unique: well within a double's exact integers. */
function nextSeq(): number {
  lastSeq = Math.max(Date.now() * 1000, lastSeq + 1);
  return lastSeq;
}

function toMessage(stored: QueuedMessage): MessageDoc {
  const { status_rank, status_seen, dispatch, ...doc } = stored;
  return doc;
}

function toEntry(stored: Pick<QueuedMessage, '_id' | 'account_id'>, d: Dispatch): SendQueueEntry {
  return {
    message_id: stored._id,
    account_id: stored.account_id,
    class: d.class,
    not_before: d.not_before,
    owner: d.owner,
    lease_until: d.lease_until,
    claims: d.claims,
    held: d.held,
    retrying: d.retrying,
    created_at: d.created_at,
  };
}

const dueFilter = (now: Date): Filter<QueuedMessage> => ({
  'dispatch.held': false,
  'dispatch.not_before': { $lte: now },
  $or: [{ 'dispatch.lease_until': null }, { 'dispatch.lease_until': { $lt: now } }],
});

type Final = Extract<SendOutcome, { kind: 'sent' | 'failed' }>;

/**
 * The writes of a `sent` or `failed` outcome, applied in order: each is atomic on its own and
 * conditional, so repeating them (or a status webhook in between) converges to the same
 * message: the first wamid kept, the status once in the history and only moving forward.
 * The last takes the message out of the queue.
 */
function finalWrites(o: Final): AnyBulkWriteOperation<QueuedMessage>[] {
  const status: MessageStatus = o.kind;
  const error = o.kind === 'failed' ? o.reason : null;
  const seen = `status_seen.${status}`;
  const writes: AnyBulkWriteOperation<QueuedMessage>[] = [];
  if (o.kind === 'sent') {
    writes.push({
      updateOne: { filter: { _id: o.id, wamid: null }, update: { $set: { wamid: o.wamid } } },
    });
  }
  writes.push(
    {
      updateOne: {
        filter: { _id: o.id, [seen]: { $exists: false } },
        update: {
          $push: { status_history: error ? { status, at: o.at, error } : { status, at: o.at } },
          $set: { [seen]: true },
        },
      },
    },
    {
      updateOne: {
        filter: { _id: o.id, status_rank: { $lt: STATUS_RANK[status] } },
        update: {
          $set: {
            status,
            status_rank: STATUS_RANK[status],
            updated_at: new Date(),
            ...(error ? { error } : {}),
          },
        },
      },
    },
    { updateOne: { filter: { _id: o.id }, update: { $unset: { dispatch: '' } } } },
  );
  return writes;
}

async function bulk(
  write: (ops: AnyBulkWriteOperation<QueuedMessage>[]) => Promise<unknown>,
  ops: AnyBulkWriteOperation<QueuedMessage>[],
): Promise<void> {
  for (let i = 0; i < ops.length; i += BULK_CHUNK) {
    const chunk = ops.slice(i, i + BULK_CHUNK);
    await retryBusy(() => write(chunk));
  }
}

/**
 * The send queue without multi-document transactions. On MongoDB each claim is an atomic
 * findOneAndUpdate; FerretDB applies one as an unisolated read-modify-write, so there claims
 * of one account are made one after another within a process, and across processes the lane
 * (one dispatcher per number) is what keeps them apart.
 */
export function sendQueueRepository(db: Db, feed: EventFeed): SendQueueRepository {
  const col = db.collection<QueuedMessage>('messages');
  const events = db.collection<EventDoc>('events');
  const perAccount = keyedLock();

  return {
    async enqueue(messages, cls, at = new Date()) {
      const now = new Date();
      const notBefore = at < now ? at : now;
      const docs = new Map<string, QueuedMessage>();
      for (const m of messages) {
        if (docs.has(m._id)) continue;
        docs.set(m._id, {
          ...newMessageDoc({ ...m, status: 'queued' }, at),
          status_rank: STATUS_RANK.queued,
          status_seen: { queued: true },
          dispatch: {
            class: cls,
            priority: PRIORITY[cls],
            seq: nextSeq(),
            not_before: notBefore,
            owner: null,
            lease_until: null,
            claims: 0,
            held: false,
            retrying: false,
            created_at: at,
          },
        });
      }
      const all = [...docs.values()];
      const taken: string[] = [];
      for (let i = 0; i < all.length; i += INSERT_CHUNK) {
        const chunk = all.slice(i, i + INSERT_CHUNK);
        const refused = await retryBusy(() => insertManyNew(col, chunk));
        for (const index of refused) taken.push(chunk[index]!._id);
      }
      const stored = new Map<string, MessageDoc>();
      if (taken.length) {
        for (const doc of await col.find({ _id: { $in: taken } }).toArray()) {
          stored.set(doc._id, toMessage(doc));
        }
        const lost = taken.find((id) => !stored.has(id));
        if (lost) throw new Error(`Message ${lost} conflicted but cannot be read`);
      }
      const answered = new Set<string>();
      return messages.map((m) => {
        const first = !answered.has(m._id);
        answered.add(m._id);
        const existing = stored.get(m._id);
        return existing
          ? { doc: existing, created: false }
          : { doc: toMessage(docs.get(m._id)!), created: first };
      });
    },

    claim: (accountId, owner, { limit, leaseMs }) =>
      perAccount(accountId, async () => {
        const claimed: ClaimedSend[] = [];
        while (claimed.length < limit) {
          const now = new Date();
          const doc = await retryBusy(() =>
            col.findOneAndUpdate(
              { account_id: accountId, ...dueFilter(now) },
              {
                $set: {
                  'dispatch.owner': owner,
                  'dispatch.lease_until': new Date(now.getTime() + leaseMs),
                },
                $inc: { 'dispatch.claims': 1 },
              },
              { sort: { 'dispatch.priority': 1, 'dispatch.seq': 1 }, returnDocument: 'after' },
            ),
          );
          if (!doc?.dispatch) break;
          claimed.push({ message: toMessage(doc), entry: toEntry(doc, doc.dispatch) });
        }
        return claimed;
      }),

    async settle(owner, outcomes, eventDocs) {
      const first = new Map<string, SendOutcome>();
      for (const o of outcomes) if (!first.has(o.id)) first.set(o.id, o);
      const unique = [...first.values()];

      // Events first, under their own ids: a crash before the message writes leaves them
      // recorded once, never lost with an entry that is already gone.
      const recorded: EventDoc[] = [];
      const distinct = [...new Map(eventDocs.map((e) => [e._id, e] as const)).values()];
      for (let i = 0; i < distinct.length; i += INSERT_CHUNK) {
        const chunk = distinct.slice(i, i + INSERT_CHUNK);
        const refused = await retryBusy(() => insertManyNew(events, chunk));
        recorded.push(...chunk.filter((_, index) => !refused.has(index)));
      }

      const finals = unique.filter((o): o is Final => o.kind === 'sent' || o.kind === 'failed');
      await bulk((ops) => col.bulkWrite(ops, { ordered: true }), finals.flatMap(finalWrites));

      const owned: AnyBulkWriteOperation<QueuedMessage>[] = [];
      for (const o of unique) {
        const filter = { _id: o.id, 'dispatch.owner': owner };
        if (o.kind === 'later') {
          owned.push({
            updateOne: {
              filter,
              update: {
                $set: {
                  'dispatch.owner': null,
                  'dispatch.lease_until': null,
                  'dispatch.claims': 0,
                  'dispatch.not_before': o.notBefore,
                },
              },
            },
          });
        } else if (o.kind === 'held' || o.kind === 'deferred') {
          owned.push({
            updateOne: {
              filter,
              update: {
                $set: {
                  'dispatch.owner': null,
                  'dispatch.lease_until': null,
                  'dispatch.held': true,
                  'dispatch.retrying': true,
                  ...(o.kind === 'deferred'
                    ? { deferred: { until: o.until, reason: o.reason }, updated_at: new Date() }
                    : {}),
                },
              },
            },
          });
        }
      }
      await bulk((ops) => col.bulkWrite(ops, { ordered: false }), owned);
      feed.publish(recorded);
    },

    /** One status at a time: 131049s are few, and each deferral is one atomic write. */
    async deferSent(statuses) {
      const done = new Map<string, DeferredSent | 'ahead' | null>();
      for (const s of statuses) {
        if (done.has(s.wamid)) continue;
        const sent = { wamid: s.wamid, org_id: s.orgId, status: { $in: [...DEFERRABLE_STATUSES] } };
        const found = await col.findOne(sent, { projection: { origin: 1 } });
        const now = new Date();
        const cls = sendClassOf(found?.origin ?? 'api');
        const deferred =
          found &&
          (await retryBusy(() =>
            col.findOneAndUpdate(
              { ...sent, _id: found._id },
              {
                $set: {
                  status: 'queued',
                  status_rank: STATUS_RANK.queued,
                  wamid: null,
                  deferred: { until: s.until, reason: s.reason },
                  updated_at: now,
                  dispatch: {
                    class: cls,
                    priority: PRIORITY[cls],
                    seq: nextSeq(),
                    not_before: now,
                    owner: null,
                    lease_until: null,
                    claims: 0,
                    held: true,
                    retrying: true,
                    created_at: now,
                  },
                },
                $push: {
                  status_history: {
                    status: 'deferred',
                    at: s.at,
                    error: s.reason,
                    wamid: s.wamid,
                  },
                },
              },
              { returnDocument: 'after' },
            ),
          ));
        if (deferred) {
          done.set(s.wamid, { message: toMessage(deferred), fresh: true });
          continue;
        }
        // By our id: deferred by an earlier copy (its history keeps the wamid), or not sent yet.
        const byId = s.messageId
          ? await col.findOne({ _id: s.messageId, org_id: s.orgId }, { projection: HIDDEN })
          : null;
        if (byId?.status_history.some((h) => h.status === 'deferred' && h.wamid === s.wamid)) {
          done.set(s.wamid, { message: toMessage(byId), fresh: false });
        } else if (byId?.status === 'queued' && byId.wamid === null) {
          const gaveUp = byId.status_history.some((h) => h.wamid === s.wamid);
          done.set(s.wamid, gaveUp ? null : 'ahead');
        } else {
          done.set(s.wamid, null);
        }
      }
      return statuses.map((s) => done.get(s.wamid) ?? null);
    },

    async release(id, notBefore) {
      const res = await retryBusy(() =>
        col.updateOne(
          { _id: id, 'dispatch.held': true },
          {
            $set: {
              'dispatch.held': false,
              'dispatch.claims': 0,
              'dispatch.not_before': notBefore,
              'dispatch.owner': null,
              'dispatch.lease_until': null,
            },
          },
        ),
      );
      if (res.matchedCount === 1) {
        await retryBusy(() =>
          col.updateOne({ _id: id, deferred: { $ne: null } }, { $unset: { deferred: '' } }),
        );
        return true;
      }
      return (await col.countDocuments({ _id: id, dispatch: { $exists: true } })) > 0;
    },

    async entry(id) {
      const doc = await col.findOne(
        { _id: id, dispatch: { $exists: true } },
        { projection: { account_id: 1, dispatch: 1 } },
      );
      return doc?.dispatch ? toEntry(doc, doc.dispatch) : null;
    },

    async dueAccounts(limit) {
      const accounts = await col.distinct('account_id', dueFilter(new Date()));
      return accounts.slice(0, limit);
    },

    async depths(accountIds) {
      const scope: Filter<QueuedMessage> = accountIds ? { account_id: { $in: accountIds } } : {};
      const groups = await col
        .aggregate<{ _id: { account_id: string; class: SendClass }; n: number }>([
          { $match: { ...scope, dispatch: { $exists: true } } },
          {
            $group: {
              _id: { account_id: '$account_id', class: '$dispatch.class' },
              n: { $sum: 1 },
            },
          },
        ])
        .toArray();
      const depths = new Map<string, Record<SendClass, number>>();
      for (const id of accountIds ?? []) depths.set(id, { transactional: 0, bulk: 0 });
      for (const g of groups) {
        let d = depths.get(g._id.account_id);
        if (!d) depths.set(g._id.account_id, (d = { transactional: 0, bulk: 0 }));
        d[g._id.class] += g.n;
      }
      return depths;
    },
  };
}

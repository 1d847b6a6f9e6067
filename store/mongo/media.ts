import type { Db, UpdateFilter } from 'mongodb';
import type { MediaRepository } from '../contract/media';
import type { MediaDoc } from '../documents';
import { insertNew, retryBusy } from './duplicate-key';

export function mediaRepository(db: Db): MediaRepository {
  const col = db.collection<MediaDoc>('media');
  const messages = db.collection<{ _id: string }>('messages');
  /** Updates a pending download still at attempt `attempt`. */
  const settle = async (id: string, attempt: number, update: UpdateFilter<MediaDoc>) => {
    const res = await retryBusy(() =>
      col.updateOne({ _id: id, attempts: attempt, status: 'pending' }, update),
    );
    return res.modifiedCount === 1;
  };
  return {
    async create(doc) {
      await col.insertOne(doc);
    },

    createMany: (docs) => insertNew(col, docs),

    get: (orgId, id) => col.findOne({ _id: id, org_id: orgId }),

    // One atomic findOneAndUpdate per claim: a download is claimed by one worker at a time.
    async claimDue(now, limit, leaseMs) {
      const claimed: MediaDoc[] = [];
      while (claimed.length < limit) {
        const doc = await retryBusy(() =>
          col.findOneAndUpdate(
            { status: 'pending', next_attempt_at: { $lte: now } },
            {
              $set: { next_attempt_at: new Date(now.getTime() + leaseMs) },
              $inc: { attempts: 1 },
            },
            { sort: { next_attempt_at: 1 }, returnDocument: 'after' },
          ),
        );
        if (!doc) break;
        claimed.push(doc);
      }
      return claimed;
    },

    async markStored(id, attempt, file, at) {
      const claim = { _id: id, attempts: attempt, status: 'pending' as const };
      const current = await col.findOne(claim);
      if (!current) return false;
      // The message first: with no transaction, a record marked stored always has its
      // message's size (a stale claim writes the same values: the bytes were checked).
      if (current.message_id) {
        await retryBusy(() =>
          messages.updateOne(
            { _id: current.message_id!, 'content.media': { $exists: true } },
            { $set: { 'content.media.size': file.size, 'content.media.sha256': file.sha256 } },
          ),
        );
      }
      const doc = await retryBusy(() =>
        col.findOneAndUpdate(claim, {
          $set: { ...file, status: 'stored', stored_at: at, next_attempt_at: null, error: null },
        }),
      );
      return doc !== null;
    },

    markRetry: (id, attempt, error, nextAttemptAt) =>
      settle(id, attempt, { $set: { error, next_attempt_at: nextAttemptAt } }),

    markFailed: (id, attempt, error) =>
      settle(id, attempt, { $set: { status: 'failed', error, next_attempt_at: null } }),
  };
}

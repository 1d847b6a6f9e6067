import type { Db } from 'mongodb';
import type { SendLaneDoc, SendLaneRepository } from '../contract/send-queue';
import { isDuplicateKey, retryBusy } from './duplicate-key';
import { keyedLock } from '../../lib/keyed-lock';

type StoredLane = Omit<SendLaneDoc, 'account_id'> & { _id: string };

/**
 * Lanes by account id. Leases are compared on this process's clock (the store has no shared
 * one to offer); FerretDB's unisolated updates make a takeover exclusive only within a process.
 */
export function sendLaneRepository(db: Db): SendLaneRepository {
  const col = db.collection<StoredLane>('send_lanes');
  const serially = keyedLock();

  return {
    acquire: (accountId, owner, leaseMs) =>
      serially(accountId, () =>
        retryBusy(async () => {
          const now = new Date();
          const leaseUntil = new Date(now.getTime() + leaseMs);
          const renewed = await col.updateOne(
            { _id: accountId, owner },
            { $set: { lease_until: leaseUntil, updated_at: now } },
          );
          if (renewed.matchedCount === 1) return true;
          try {
            // A lane held by another makes the upsert insert a second document: refused.
            await col.updateOne(
              {
                _id: accountId,
                $or: [{ owner: null }, { lease_until: null }, { lease_until: { $lt: now } }],
              },
              { $set: { owner, lease_until: leaseUntil, rate: 0, updated_at: now } },
              { upsert: true },
            );
            return true;
          } catch (err) {
            if (isDuplicateKey(err)) return false;
            throw err;
          }
        }),
      ),

    async report(accountId, owner, rate) {
      const now = new Date();
      await retryBusy(() =>
        col.updateOne(
          { _id: accountId, owner, lease_until: { $gte: now } },
          { $set: { rate, updated_at: now } },
        ),
      );
    },

    async release(accountId, owner) {
      await retryBusy(() =>
        col.updateOne(
          { _id: accountId, owner },
          { $set: { owner: null, lease_until: null, rate: 0, updated_at: new Date() } },
        ),
      );
    },

    async list(accountIds) {
      const docs = await col
        .find(accountIds ? { _id: { $in: accountIds } } : {})
        .sort({ _id: 1 })
        .toArray();
      return docs.map(({ _id, ...lane }) => ({ account_id: _id, ...lane }));
    },
  };
}

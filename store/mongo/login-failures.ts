import { ObjectId, type Db } from 'mongodb';
import type { LoginFailureRepository } from '../contract/login-failures';
import { retryBusy } from './duplicate-key';

interface FailureDoc {
  _id: ObjectId;
  email: string;
  at: Date;
}

export function loginFailureRepository(db: Db): LoginFailureRepository {
  const col = db.collection<FailureDoc>('login_failures');
  return {
    async add(email, at) {
      await retryBusy(() => col.insertOne({ _id: new ObjectId(), email, at }));
    },
    async listSince(email, since) {
      const docs = await col
        .find({ email, at: { $gt: since } })
        .sort({ at: 1, _id: 1 })
        .toArray();
      return docs.map((d) => d.at);
    },
    async clear(email) {
      await retryBusy(() => col.deleteMany({ email }));
    },
    async purgeBefore(before) {
      const res = await retryBusy(() => col.deleteMany({ at: { $lte: before } }));
      return res.deletedCount;
    },
  };
}

import type { Db } from 'mongodb';
import { sha256Hex } from '../../lib/crypto';
import type { SessionRepository } from '../contract/organizations';
import type { SessionDoc } from '../documents';
import { newSession } from '../sessions';

export function sessionRepository(db: Db): SessionRepository {
  const col = db.collection<SessionDoc>('sessions');
  return {
    async create(orgId, userId, ttlMs) {
      const created = newSession(orgId, userId, ttlMs);
      await col.insertOne(created.doc);
      return created;
    },
    findActive(token, now = new Date()) {
      return col.findOne({ token_hash: sha256Hex(token), expires_at: { $gt: now } });
    },
    async delete(token) {
      const res = await col.deleteOne({ token_hash: sha256Hex(token) });
      return res.deletedCount === 1;
    },
    async purgeExpired(now = new Date()) {
      const res = await col.deleteMany({ expires_at: { $lte: now } });
      return res.deletedCount;
    },
  };
}

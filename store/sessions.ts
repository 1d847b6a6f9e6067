import { randomUUID } from 'node:crypto';
import type { Db } from 'mongodb';
import { randomToken, sha256Hex } from '../lib/crypto';
import type { SessionDoc } from './documents';

export function sessionRepository(db: Db) {
  const col = db.collection<SessionDoc>('sessions');
  return {
    async create(
      orgId: string,
      userId: string,
      ttlMs: number,
    ): Promise<{ doc: SessionDoc; token: string }> {
      const token = randomToken(32);
      const now = new Date();
      const doc: SessionDoc = {
        _id: randomUUID(),
        org_id: orgId,
        user_id: userId,
        token_hash: sha256Hex(token),
        expires_at: new Date(now.getTime() + ttlMs),
        created_at: now,
      };
      await col.insertOne(doc);
      return { doc, token };
    },
    findActive(token: string, now = new Date()) {
      return col.findOne({ token_hash: sha256Hex(token), expires_at: { $gt: now } });
    },
    async delete(token: string): Promise<boolean> {
      const res = await col.deleteOne({ token_hash: sha256Hex(token) });
      return res.deletedCount === 1;
    },
    async purgeExpired(now = new Date()): Promise<number> {
      const res = await col.deleteMany({ expires_at: { $lte: now } });
      return res.deletedCount;
    },
  };
}

export type SessionRepository = ReturnType<typeof sessionRepository>;

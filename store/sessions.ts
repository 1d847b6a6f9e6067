import { randomUUID } from 'node:crypto';
import { randomToken, sha256Hex } from '../lib/crypto';
import type { SessionDoc } from './documents';

export function newSession(
  orgId: string,
  userId: string,
  ttlMs: number,
): { doc: SessionDoc; token: string } {
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
  return { doc, token };
}

import { randomUUID } from 'node:crypto';
import type { Db } from 'mongodb';
import { randomToken, sha256Hex } from '../lib/crypto';
import type { ApiKeyDoc, RateLimitOverride } from './documents';

export const API_KEY_PREFIX = 'wf_';
const VISIBLE_CHARS = 10;

export interface NewApiKey {
  name: string;
  expiresAt?: Date | null;
  rateLimit?: RateLimitOverride | null;
}

export function apiKeyRepository(db: Db) {
  const col = db.collection<ApiKeyDoc>('api_keys');
  return {
    /** Returns the stored document and the key itself, which is never stored or shown again. */
    async create(orgId: string, input: NewApiKey): Promise<{ doc: ApiKeyDoc; key: string }> {
      const key = API_KEY_PREFIX + randomToken(32);
      const doc: ApiKeyDoc = {
        _id: randomUUID(),
        org_id: orgId,
        name: input.name,
        prefix: key.slice(0, VISIBLE_CHARS),
        key_hash: sha256Hex(key),
        expires_at: input.expiresAt ?? null,
        revoked_at: null,
        rate_limit: input.rateLimit ?? null,
        created_at: new Date(),
        last_used_at: null,
      };
      await col.insertOne(doc);
      return { doc, key };
    },
    list(orgId: string) {
      return col.find({ org_id: orgId }).sort({ created_at: -1 }).toArray();
    },
    get(orgId: string, id: string) {
      return col.findOne({ _id: id, org_id: orgId });
    },
    /** Revokes once; revoking again keeps the first revocation time. */
    async revoke(orgId: string, id: string, at = new Date()): Promise<ApiKeyDoc | null> {
      await col.updateOne(
        { _id: id, org_id: orgId, revoked_at: null },
        { $set: { revoked_at: at } },
      );
      return col.findOne({ _id: id, org_id: orgId });
    },
    /** The one lookup not scoped by organization: the key is what tells the organization. */
    findByKey(key: string) {
      return col.findOne({ key_hash: sha256Hex(key) });
    },
    async touch(id: string, at = new Date()): Promise<void> {
      await col.updateOne({ _id: id }, { $set: { last_used_at: at } });
    },
  };
}

export type ApiKeyRepository = ReturnType<typeof apiKeyRepository>;

import { randomUUID } from 'node:crypto';
import { randomToken, sha256Hex } from '../lib/crypto';
import type { NewApiKey } from './contract/organizations';
import type { ApiKeyDoc } from './documents';

export const API_KEY_PREFIX = 'wf_';
const VISIBLE_CHARS = 10;

/** A new key and its record, which keeps only a hash and a visible prefix. */
export function newApiKey(orgId: string, input: NewApiKey): { doc: ApiKeyDoc; key: string } {
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
  return { doc, key };
}

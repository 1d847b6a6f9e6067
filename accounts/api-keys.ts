import { NotFoundError, ValidationError } from '../lib/errors';
import type { TtlCache } from '../lib/ttl-cache';
import type { Store } from '../store';
import type { ApiKeyDoc } from '../store/documents';

export interface CreateApiKeyRequest {
  name: string;
  /** When the key stops working; never when absent. */
  expires_at?: string;
  /** Overrides the default rate limits for this key. */
  rate_limit?: { per_minute: number; per_second: number };
}

/** The highest limits a key may have: configured for every organization. */
export interface RateCeiling {
  perMinute: number;
  perSecond: number;
}

/** The stored record and the key itself, which is shown only this once. */
export async function createApiKey(
  { store, maxRate }: { store: Store; maxRate: RateCeiling },
  orgId: string,
  req: CreateApiKeyRequest,
): Promise<{ doc: ApiKeyDoc; key: string }> {
  const expiresAt = req.expires_at ? new Date(req.expires_at) : null;
  if (expiresAt && expiresAt.getTime() <= Date.now()) {
    throw new ValidationError('expires_at must be in the future');
  }
  const limit = req.rate_limit;
  if (limit && limit.per_minute > maxRate.perMinute) {
    throw new ValidationError(
      `rate_limit.per_minute: at most ${maxRate.perMinute}, the organization's ceiling`,
    );
  }
  if (limit && limit.per_second > maxRate.perSecond) {
    throw new ValidationError(
      `rate_limit.per_second: at most ${maxRate.perSecond}, the organization's ceiling`,
    );
  }
  return store.apiKeys.create(orgId, {
    name: req.name,
    expiresAt,
    rateLimit: limit ?? null,
  });
}

/** The organization's keys, newest first (never their secrets). */
export function listApiKeys({ store }: { store: Store }, orgId: string): Promise<ApiKeyDoc[]> {
  return store.apiKeys.list(orgId);
}

/** Revokes the key; it stops working at once, in this process's cache too. */
export async function revokeApiKey(
  {
    store,
    cache,
  }: { store: Store; cache: Pick<TtlCache<string, ApiKeyDoc | null>, 'deleteWhere'> },
  orgId: string,
  id: string,
): Promise<ApiKeyDoc> {
  const doc = await store.apiKeys.revoke(orgId, id);
  if (!doc) throw new NotFoundError(`API key '${id}' not found`);
  cache.deleteWhere((cached) => cached?._id === doc._id);
  return doc;
}

import { sha256Hex } from './crypto';
import { IdempotencyKeyReusedError } from './errors';
import { uuidFrom } from './ids';

/** What an Idempotency-Key makes of a create request: a stable id and its fingerprint. */
export interface IdempotentCreate {
  key: string;
  /** The same for the same organization and key, in this kind of resource. */
  id: string;
  requestHash: string;
}

export function idempotentCreate(
  kind: string,
  orgId: string,
  key: string | undefined,
  request: unknown,
): IdempotentCreate | null {
  if (key === undefined) return null;
  return {
    key,
    id: uuidFrom(`${kind}:${orgId}:${key}`),
    requestHash: sha256Hex(JSON.stringify(request)),
  };
}

/** A stored resource found under the key must have been made by the same request. */
export function checkSameRequest(
  create: IdempotentCreate,
  orgId: string,
  stored: { org_id: string; request_hash: string | null },
): void {
  if (stored.org_id !== orgId || stored.request_hash !== create.requestHash) {
    throw new IdempotencyKeyReusedError(create.key);
  }
}

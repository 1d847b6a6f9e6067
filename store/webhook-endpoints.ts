import { randomBytes, randomUUID } from 'node:crypto';
import { encryptSecret } from '../lib/crypto';
import type { NewWebhookEndpoint } from './contract/webhooks';
import type {
  WebhookAttemptDoc,
  WebhookAttemptOutcome,
  WebhookBacklogDoc,
  WebhookEndpointDoc,
} from './documents';

/**
 * `whsec_` and 32 random bytes in base64: the Standard Webhooks format, whose libraries take
 * the bytes after the prefix as the key; the plain `X-Webhook-Signature` uses the whole string.
 */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

export function newWebhookEndpoint(
  orgId: string,
  input: NewWebhookEndpoint,
  key: Buffer,
): { endpoint: WebhookEndpointDoc; secret: string } {
  const secret = newWebhookSecret();
  const now = new Date();
  const endpoint: WebhookEndpointDoc = {
    _id: input.id ?? randomUUID(),
    org_id: orgId,
    name: input.name,
    url: input.url,
    events: input.events,
    secret_enc: encryptSecret(secret, key),
    status: 'active',
    status_reason: null,
    failing_since: null,
    next_probe_at: null,
    request_hash: input.requestHash ?? null,
    created_at: now,
    updated_at: now,
  };
  return { endpoint, secret };
}

/** The record of a parked delivery that ends without a POST (purged, skipped or failed). */
export function endedWithoutPost(
  row: WebhookBacklogDoc,
  ended: { outcome: WebhookAttemptOutcome; error: string; at: Date },
): WebhookAttemptDoc {
  return {
    _id: `${row._id}:${row.attempt}`,
    org_id: row.org_id,
    endpoint_id: row.endpoint_id,
    event_id: row.event_id,
    run: row.run,
    attempt: row.attempt,
    at: ended.at,
    status_code: null,
    latency_ms: null,
    error: ended.error,
    outcome: ended.outcome,
    next_attempt_at: null,
  };
}

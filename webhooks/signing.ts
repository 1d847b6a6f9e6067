import { createHmac } from 'node:crypto';

const PREFIX = 'whsec_';

/**
 * Headers of one attempt. `X-Webhook-Signature` is the hex HMAC-SHA256 of the body keyed with
 * the secret string itself (as receivers verify it: `hmac.new(secret.encode(), body, sha256)`);
 * `webhook-signature` follows Standard Webhooks: HMAC-SHA256 keyed with the base64 bytes after
 * `whsec_`, over `<id>.<timestamp>.<body>`, as `v1,<base64>`.
 */
export function webhookHeaders(
  secret: string,
  event: { id: string; type: string },
  body: string,
  timestampSeconds: number,
): Record<string, string> {
  const plain = createHmac('sha256', secret).update(body).digest('hex');
  const key = Buffer.from(
    secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret,
    'base64',
  );
  const standard = createHmac('sha256', key)
    .update(`${event.id}.${timestampSeconds}.${body}`)
    .digest('base64');
  return {
    'content-type': 'application/json',
    'user-agent': 'Waflow-Webhooks/1.0',
    'x-webhook-signature': plain,
    'x-webhook-event': event.type,
    'x-webhook-id': event.id,
    'webhook-id': event.id,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': `v1,${standard}`,
  };
}

/** The body every attempt of an event sends: `{event, timestamp, data}`. */
export function webhookBody(event: { type: string; timestamp: Date; data: unknown }): string {
  return JSON.stringify({
    event: event.type,
    timestamp: event.timestamp.toISOString(),
    data: event.data,
  });
}

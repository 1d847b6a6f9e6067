import { randomUUID } from 'node:crypto';
import type { InboundWebhookDoc } from './documents';

/** After this many failed processing attempts a webhook stays parked, with its last error. */
export const MAX_INBOUND_ATTEMPTS = 10;

export function newInboundWebhooks(
  bodies: { provider: 'meta'; body: string }[],
): InboundWebhookDoc[] {
  const now = new Date();
  return bodies.map((b) => ({
    _id: randomUUID(),
    ...b,
    received_at: now,
    processed_at: null,
    attempts: 0,
    last_error: null,
  }));
}

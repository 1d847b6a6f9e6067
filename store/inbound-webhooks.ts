import { randomUUID } from 'node:crypto';
import type { InboundWebhookDoc } from './documents';

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
    next_attempt_at: null,
    dead_at: null,
    org_ids: [],
  }));
}

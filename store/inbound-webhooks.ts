import { randomUUID } from 'node:crypto';
import type { InboundWebhookDoc } from './documents';

export function newInboundWebhooks(
  bodies: { provider: 'meta'; body: string; processed?: boolean }[],
): InboundWebhookDoc[] {
  const now = new Date();
  return bodies.map(({ provider, body, processed }) => ({
    _id: randomUUID(),
    provider,
    body,
    received_at: now,
    processed_at: processed ? now : null,
    attempts: 0,
    last_error: null,
    next_attempt_at: null,
    dead_at: null,
    org_ids: [],
  }));
}

import { z } from 'zod';
import { stateOf } from '../../inbound/dead-webhooks';
import type { InboundWebhookDoc } from '../../store/documents';
import { Timestamp } from './common';

export const ListDeadQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(25),
});

export const InboundWebhookView = z.object({
  id: z.string(),
  provider: z.literal('meta'),
  state: z.enum(['pending', 'retrying', 'dead', 'processed']),
  received_at: Timestamp,
  attempts: z.number().int(),
  last_error: z.string().nullable().describe('Why its last attempt failed'),
  next_attempt_at: Timestamp.nullable(),
  dead_at: Timestamp.nullable(),
  processed_at: Timestamp.nullable(),
  body: z.string().describe('The body exactly as Meta sent and signed it'),
});

const iso = (d: Date | null | undefined) => d?.toISOString() ?? null;

export const inboundWebhookView = (doc: InboundWebhookDoc): z.infer<typeof InboundWebhookView> => ({
  id: doc._id,
  provider: doc.provider,
  state: stateOf(doc),
  received_at: doc.received_at.toISOString(),
  attempts: doc.attempts,
  last_error: doc.last_error,
  next_attempt_at: iso(doc.next_attempt_at),
  dead_at: iso(doc.dead_at),
  processed_at: iso(doc.processed_at),
  body: doc.body,
});

import { z } from 'zod';
import type {
  WebhookAttemptDoc,
  WebhookAttemptOutcome,
  WebhookDispatchDoc,
  WebhookEndpointDoc,
} from '../../store/documents';
import { WEBHOOK_EVENT_TYPES } from '../../webhooks/event-types';
import type { ParkedDelivery } from '../../webhooks/deliveries';
import type {
  CreateWebhookEndpointRequest,
  UpdateWebhookEndpointRequest,
} from '../../webhooks/endpoints';
import { checked, Id, Timestamp } from './common';

const EventName = z.enum([...WEBHOOK_EVENT_TYPES, '*']);

const Events = z
  .array(EventName)
  .min(1)
  .max(50)
  .transform((events) => (events.includes('*') ? ['*'] : [...new Set(events)]))
  .describe('Event types to receive, or ["*"] for all of them');

const Name = z.string().trim().min(1).max(100);
const Url = z.string().trim().min(1).max(2048).describe('HTTPS URL that receives the POSTs');

export const CreateWebhookEndpointBody = checked<CreateWebhookEndpointRequest>()(
  z.object({ name: Name, url: Url, events: Events }),
);

export const UpdateWebhookEndpointBody = checked<UpdateWebhookEndpointRequest>()(
  z
    .object({
      name: Name.optional(),
      url: Url.optional(),
      events: Events.optional(),
      status: z
        .enum(['active', 'disabled'])
        .optional()
        .describe('Disable by hand, or enable again (also after a 410)'),
    })
    .refine((b) => Object.values(b).some((v) => v !== undefined), {
      message: 'Nothing to update: give name, url, events or status',
    }),
);

export const WebhookEndpointView = z.object({
  id: z.uuid(),
  name: z.string(),
  url: z.string(),
  events: z.array(z.string()),
  status: z.enum(['active', 'failing', 'disabled']),
  status_reason: z.string().nullable(),
  created_at: Timestamp,
  updated_at: Timestamp,
});

export const WebhookSecret = z
  .string()
  .describe(
    'Shown only now. X-Webhook-Signature is the hex HMAC-SHA256 of the raw body keyed with ' +
      'this string; Standard Webhooks libraries take it as it is.',
  );

export const CreatedWebhookEndpointView = WebhookEndpointView.extend({ secret: WebhookSecret });

export function webhookEndpointView(doc: WebhookEndpointDoc): z.infer<typeof WebhookEndpointView> {
  return {
    id: doc._id,
    name: doc.name,
    url: doc.url,
    events: doc.events,
    status: doc.status,
    status_reason: doc.status_reason,
    created_at: doc.created_at.toISOString(),
    updated_at: doc.updated_at.toISOString(),
  };
}

export const DeliveryParams = z.object({
  id: Id,
  deliveryId: z.string().min(1).max(300).describe("The event's id (X-Webhook-Id)"),
});

export const ListDeliveriesQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(100).default(25),
    before_time: z.iso.datetime().optional(),
    before_id: z.string().min(1).max(300).optional(),
  })
  .refine((q) => !q.before_id === !q.before_time, {
    message: 'before_time and before_id go together (both from next_cursor)',
    path: ['before_id'],
  });

const DeliveryState = z
  .enum(['pending', 'retrying', 'delivered', 'failed', 'skipped'])
  .describe(
    'pending: no attempt yet; retrying: another attempt is scheduled; failed: every attempt ' +
      'failed, the endpoint answered 410, or it was disabled after failing too long; skipped: ' +
      'the endpoint was disabled or deleted. While the endpoint is failing, its deliveries wait ' +
      'for it (pending or retrying) and next_attempt_at is its next probe',
  );

const AttemptView = z.object({
  run: z.number().int().describe('0 for the delivery, then 1, 2... for each replay'),
  attempt: z.number().int(),
  at: Timestamp,
  status_code: z.number().int().nullable(),
  latency_ms: z.number().nullable(),
  error: z.string().nullable(),
});

export const DeliveryView = z.object({
  id: z.string().describe("The event's id, sent as X-Webhook-Id and webhook-id"),
  event: z.string(),
  state: DeliveryState,
  attempts: z.array(AttemptView),
  next_attempt_at: Timestamp.nullable(),
  created_at: Timestamp,
});

const STATE_OF: Record<WebhookAttemptOutcome, z.infer<typeof DeliveryState>> = {
  delivered: 'delivered',
  retrying: 'retrying',
  failed: 'failed',
  gone: 'failed',
  skipped: 'skipped',
  held: 'retrying',
};

/** `attempts` are this delivery's, ordered by run then attempt. */
export function deliveryView(
  dispatch: Omit<WebhookDispatchDoc, 'body'>,
  attempts: WebhookAttemptDoc[],
  parked: ParkedDelivery | null = null,
): z.infer<typeof DeliveryView> {
  const last = attempts.at(-1);
  const waiting = parked !== null && (!last || last.run <= parked.run);
  const state = waiting
    ? attempts.some((a) => a.run === parked.run)
      ? 'retrying'
      : 'pending'
    : last
      ? STATE_OF[last.outcome]
      : 'pending';
  const next = waiting
    ? parked.nextProbeAt
    : last?.outcome === 'retrying' || last?.outcome === 'held'
      ? last.next_attempt_at
      : null;
  return {
    id: dispatch._id,
    event: dispatch.event_type,
    state,
    attempts: attempts.map((a) => ({
      run: a.run,
      attempt: a.attempt,
      at: a.at.toISOString(),
      status_code: a.status_code,
      latency_ms: a.latency_ms === null ? null : Math.round(a.latency_ms * 10) / 10,
      error: a.error,
    })),
    next_attempt_at: next?.toISOString() ?? null,
    created_at: dispatch.created_at.toISOString(),
  };
}

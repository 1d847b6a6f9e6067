/** Every event an endpoint can subscribe to (DESIGN.md); `*` subscribes to all of them. */
export const WEBHOOK_EVENT_TYPES = [
  'message.incoming',
  'message.sent',
  'message.delivered',
  'message.read',
  'message.failed',
  'contact.created',
  'contact.updated',
  'campaign.completed',
  'transfer.created',
  'payment_link.created',
  'payment_link.paid',
  'payment_link.failed',
  'payment_link.expired',
  'sequence.completed',
  'automation.completed',
  'automation.failed',
  'automation.event',
  'webhook_endpoint.disabled',
] as const;

/** What `POST /api/webhook-endpoints/:id/test` sends; it goes to that endpoint only. */
export const TEST_EVENT_TYPE = 'webhook.test';

export function subscribesTo(subscribed: readonly string[], type: string): boolean {
  return subscribed.includes('*') || subscribed.includes(type);
}

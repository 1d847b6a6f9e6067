import type { Store } from '../store';
import type { EventDoc, WebhookDispatchDoc } from '../store/documents';
import type { DeliveryTarget } from './deliverer';
import type { EndpointDirectory } from './endpoint-directory';
import { subscribesTo } from './event-types';
import { webhookBody } from './signing';

/**
 * The dispatches of `events`: one per event some endpoint of its organization takes (enabled,
 * subscribed to its type, and created before it), naming those endpoints.
 */
export async function fanOut(
  directory: EndpointDirectory,
  events: EventDoc[],
  at: Date,
): Promise<WebhookDispatchDoc[]> {
  const dispatches: WebhookDispatchDoc[] = [];
  for (const event of events) {
    const endpoints = (await directory.forOrg(event.org_id)).filter(
      (e) =>
        e.status !== 'disabled' &&
        e.createdAt <= event.created_at &&
        subscribesTo(e.events, event.type),
    );
    if (!endpoints.length) continue;
    dispatches.push({
      _id: event._id,
      org_id: event.org_id,
      event_type: event.type,
      body: webhookBody(event),
      endpoint_ids: endpoints.map((e) => e.id),
      created_at: at,
    });
  }
  return dispatches;
}

/** A dispatch's deliveries, one per endpoint, in their first run. */
export const targetsOf = (d: WebhookDispatchDoc): DeliveryTarget[] =>
  d.endpoint_ids.map((endpointId) => ({
    orgId: d.org_id,
    endpointId,
    eventId: d._id,
    eventType: d.event_type,
    body: d.body,
    run: 0,
  }));

/** Claims the dispatches; returns those this call claimed. */
export async function claim(
  store: Store,
  dispatches: WebhookDispatchDoc[],
): Promise<WebhookDispatchDoc[]> {
  const claimed = await store.webhookDeliveries.claim(dispatches);
  return dispatches.filter((d) => claimed.has(d._id));
}

import type { EventDoc } from '../store/documents';
import type { EndpointDirectory } from './endpoint-directory';
import { subscribesTo } from './event-types';

/** Drops the events nothing will read; the others are recorded. */
export type EventFilter = (events: EventDoc[]) => Promise<EventDoc[]>;

/**
 * Message statuses are recorded for outbound webhooks only: an organization with no endpoint
 * subscribed to a status's event (none at all, usually) has nothing to record, which spares a
 * row per status at thousands a second. An endpoint created in another process is seen within
 * the directory's cache time, as it is by the fan-out itself.
 */
export const WEBHOOK_ONLY_EVENTS: ReadonlySet<string> = new Set([
  'message.sent',
  'message.delivered',
  'message.read',
  'message.failed',
]);

export function subscribedOnly(directory: Pick<EndpointDirectory, 'forOrg'>): EventFilter {
  return async (events) => {
    const orgs = new Map<string, Promise<string[][]>>();
    const kept: EventDoc[] = [];
    for (const e of events) {
      if (!WEBHOOK_ONLY_EVENTS.has(e.type)) {
        kept.push(e);
        continue;
      }
      let subscribed = orgs.get(e.org_id);
      if (!subscribed) {
        subscribed = directory.forOrg(e.org_id).then((list) => list.map((x) => x.events));
        orgs.set(e.org_id, subscribed);
      }
      if ((await subscribed).some((types) => subscribesTo(types, e.type))) kept.push(e);
    }
    return kept;
  };
}

import { subscribedOnly } from '../../webhooks/event-filter';
import { eventDoc } from '../../store/events';

/** Message statuses are kept only for organizations with an endpoint subscribed to them. */
it('keeps statuses only where an endpoint subscribes, and every other event', async () => {
  const endpoints: Record<string, string[][]> = {
    none: [],
    all: [['*']],
    reads: [['message.read'], ['contact.created']],
  };
  let loads = 0;
  const filter = subscribedOnly({
    forOrg: (orgId) => {
      loads++;
      return Promise.resolve((endpoints[orgId] ?? []).map((events) => ({ events }) as never));
    },
  });
  const ev = (orgId: string, type: string) =>
    eventDoc(orgId, { id: `${type}:${orgId}`, type, timestamp: new Date(), data: {} });
  const events = ['none', 'all', 'reads'].flatMap((org) =>
    ['message.sent', 'message.delivered', 'message.read', 'message.failed', 'message.incoming'].map(
      (type) => ev(org, type),
    ),
  );
  const kept = await filter(events);
  expect(kept.map((e) => e._id)).toEqual([
    'message.incoming:none',
    'message.sent:all',
    'message.delivered:all',
    'message.read:all',
    'message.failed:all',
    'message.incoming:all',
    'message.read:reads',
    'message.incoming:reads',
  ]);
  // One look at each organization's endpoints per batch.
  expect(loads).toBe(3);
});

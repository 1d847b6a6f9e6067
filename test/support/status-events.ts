import type { Store } from '../../store/contract';

/**
 * Message statuses are recorded as events only for an organization with an endpoint
 * subscribed to them: this gives it one, disabled so that nothing is delivered.
 */
export async function subscribeToStatuses(store: Store, orgId: string): Promise<void> {
  const { endpoint } = await store.webhookEndpoints.create(orgId, {
    name: 'status events',
    url: 'https://statuses.example.com/hooks',
    events: ['*'],
  });
  await store.webhookEndpoints.update(orgId, endpoint._id, { status: 'disabled' });
}

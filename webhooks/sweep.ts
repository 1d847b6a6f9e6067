import type { Store } from '../store';
import type { WebhookDispatcher } from './dispatcher';

/** The sweep looks this far back on its first run, and this much before where it stopped. */
const FIRST_SWEEP_MS = 60 * 60_000;
const SWEEP_OVERLAP_MS = 2 * 60_000;

/**
 * One run of the periodic sweep: resumes the deliveries a crash interrupted since where the
 * previous run stopped (see WebhookDispatcher.recover), and records where this one stopped.
 */
export async function sweepWebhookDeliveries({
  store,
  dispatcher,
}: {
  store: Store;
  dispatcher: Pick<WebhookDispatcher, 'recover'>;
}): Promise<{ dispatched: number; resumed: number }> {
  const last = await store.webhookDeliveries.recoveredThrough();
  const from = new Date(last ? last.getTime() - SWEEP_OVERLAP_MS : Date.now() - FIRST_SWEEP_MS);
  const { dispatched, resumed, through } = await dispatcher.recover(from);
  await store.webhookDeliveries.setRecoveredThrough(through);
  return { dispatched, resumed };
}

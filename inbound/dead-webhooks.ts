import { NotFoundError } from '../lib/errors';
import type { Store } from '../store';
import type { InboundWebhookDoc } from '../store/documents';
import type { Inbox } from './inbox';

export type InboundWebhookState = 'pending' | 'retrying' | 'dead' | 'processed';

export const stateOf = (doc: InboundWebhookDoc): InboundWebhookState =>
  doc.processed_at ? 'processed' : doc.dead_at ? 'dead' : doc.attempts > 0 ? 'retrying' : 'pending';

/** An organization's webhooks from Meta whose processing failed for good, newest first. */
export function listDeadWebhooks(
  { store }: { store: Store },
  orgId: string,
  limit: number,
): Promise<InboundWebhookDoc[]> {
  return store.inboundWebhooks.listDead(orgId, limit);
}

/**
 * Processes a dead webhook again, once what failed it is fixed; it is pending again, with its
 * attempts counted from zero, whatever this attempt's outcome. The webhook as it is after.
 */
export async function replayDeadWebhook(
  { store, inbox }: { store: Store; inbox: Pick<Inbox, 'processNow'> },
  orgId: string,
  id: string,
): Promise<InboundWebhookDoc> {
  const revived = await store.inboundWebhooks.revive(orgId, id);
  if (!revived) throw new NotFoundError('Dead inbound webhook not found');
  await inbox.processNow([revived]);
  return (await store.inboundWebhooks.get(id)) ?? revived;
}

import type { Store } from '../store';
import type { StatusReason } from '../store/contract/messages';
import type { Signals } from '../store/signals';
import { failedEvent } from './message-events';

export interface RetryQueueDeps {
  store: Store;
  signals: Pick<Signals, 'publish'>;
}

/** Who settles a message its retry workflow gave up on (not a dispatcher's claim). */
const RETRY_OWNER = 'retry-workflow';

/** Back into its number's queue, claimable now; tells the dispatchers. */
export async function releaseQueuedMessage(
  { store, signals }: RetryQueueDeps,
  messageId: string,
): Promise<void> {
  const entry = await store.sendQueue.entry(messageId);
  if (!entry || !(await store.sendQueue.release(messageId, new Date()))) return;
  await signals.publish('send_queued', entry.account_id);
}

/** `held` while the queue waits for the workflow, `gone` once settled. */
export async function queuedMessageState(
  { store }: { store: Store },
  messageId: string,
): Promise<'held' | 'queued' | 'gone'> {
  const entry = await store.sendQueue.entry(messageId);
  return !entry ? 'gone' : entry.held ? 'held' : 'queued';
}

/** The retry schedule ran out: the message is failed with Meta's last answer. */
export async function failQueuedMessage(
  { store, signals }: RetryQueueDeps,
  messageId: string,
  reason: StatusReason,
): Promise<void> {
  const message = await store.messages.byId(messageId);
  if (!message) return;
  const at = new Date();
  await store.sendQueue.settle(
    RETRY_OWNER,
    [{ id: messageId, kind: 'failed', reason, at }],
    [failedEvent(message, reason, at)],
  );
  await signals.publish('send_settled', messageId);
}

import type { Log } from '../lib/log';
import type { Store } from '../store';
import type { OutboxCollection } from '../store/contract/events';

/**
 * Copies the pending events of documents just written. The changes are already stored with
 * their events, so a failure here only delays them until the periodic sweep: it is logged, not
 * raised. Every use case that writes contacts or transfers ends with it.
 */
export async function flushOutbox(
  store: Store,
  log: Log,
  collection: OutboxCollection,
  ids: string | readonly string[],
): Promise<void> {
  try {
    if (typeof ids === 'string') await store.outbox.flush(collection, ids);
    else await store.outbox.flushMany(collection, ids);
  } catch (err) {
    log.error({ err, collection, ids }, 'event flush failed; the outbox sweep will deliver them');
  }
}

/** Delivers events left in outboxes by a crash between a write and its flush; how many. */
export function sweepOutbox({ store }: { store: Store }): Promise<number> {
  return store.outbox.sweep();
}

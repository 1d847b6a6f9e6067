import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { OutboxCollection } from '../store/contract/events';

/**
 * Copies the pending events of the documents a request just wrote. The changes are already
 * stored with their events, so a failure here only delays them until the periodic sweep: it is
 * logged, not answered as an error.
 */
export async function flushEvents(
  app: FastifyInstance,
  log: FastifyBaseLogger,
  collection: OutboxCollection,
  ids: string | readonly string[],
): Promise<void> {
  try {
    if (typeof ids === 'string') await app.store.outbox.flush(collection, ids);
    else await app.store.outbox.flushMany(collection, ids);
  } catch (err) {
    log.error({ err, collection, ids }, 'event flush failed; the outbox sweep will deliver them');
  }
}

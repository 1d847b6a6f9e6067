import type { Collection, Db, OptionalUnlessRequiredId } from 'mongodb';
import type { WebhookDeliveryRepository } from '../contract/webhooks';
import type { WebhookAttemptDoc, WebhookDispatchDoc } from '../documents';
import { insertManyNew } from './duplicate-key';

/**
 * Inserts documents whose `_id` says what they are, skipping those already stored; returns
 * the ids this call stored. Only inserts: the development store updates slowly, and an
 * insert-only record is also the easiest to trust after a crash.
 */
async function insertNew<T extends { _id: string }>(
  col: Collection<T>,
  docs: OptionalUnlessRequiredId<T>[] & T[],
): Promise<Set<string>> {
  const refused = await insertManyNew(col, docs);
  return new Set(docs.filter((_, i) => !refused.has(i)).map((d) => d._id));
}

export function webhookDeliveryRepository(db: Db): WebhookDeliveryRepository {
  const dispatches = db.collection<WebhookDispatchDoc>('webhook_dispatches');
  const attempts = db.collection<WebhookAttemptDoc>('webhook_attempts');
  const cursors = db.collection<{ _id: string; through: Date }>('webhook_recovery');
  return {
    claim(docs) {
      return insertNew(dispatches, docs);
    },
    async recordAttempts(docs) {
      await insertNew(attempts, docs);
    },
    dispatch(eventId) {
      return dispatches.findOne({ _id: eventId });
    },
    dispatchesSince(from) {
      return dispatches.find({ created_at: { $gte: from } }).toArray();
    },
    listForEndpoint(orgId, endpointId, page) {
      const after = page.after
        ? {
            $or: [
              { created_at: { $lt: page.after.created_at } },
              { created_at: page.after.created_at, _id: { $lt: page.after.id } },
            ],
          }
        : {};
      return dispatches
        .find({ org_id: orgId, endpoint_ids: endpointId, ...after }, { projection: { body: 0 } })
        .sort({ created_at: -1, _id: -1 })
        .limit(page.limit)
        .toArray();
    },
    attemptsOf(endpointId, eventIds) {
      return attempts
        .find({ endpoint_id: endpointId, event_id: { $in: eventIds } })
        .sort({ run: 1, attempt: 1 })
        .toArray();
    },
    attemptsSince(from) {
      return attempts
        .find(
          { at: { $gte: from } },
          {
            projection: {
              endpoint_id: 1,
              event_id: 1,
              run: 1,
              attempt: 1,
              outcome: 1,
              next_attempt_at: 1,
            },
          },
        )
        .toArray();
    },
    async purgeBefore(before) {
      await attempts.deleteMany({ at: { $lt: before } });
      return (await dispatches.deleteMany({ created_at: { $lt: before } })).deletedCount;
    },
    async recoveredThrough() {
      return (await cursors.findOne({ _id: 'sweep' }))?.through ?? null;
    },
    async setRecoveredThrough(through) {
      await cursors.updateOne({ _id: 'sweep' }, { $set: { through } }, { upsert: true });
    },
  };
}

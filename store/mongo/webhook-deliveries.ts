import type { Db } from 'mongodb';
import type { WebhookDeliveryRepository } from '../contract/webhooks';
import type { WebhookAttemptDoc, WebhookDispatchDoc } from '../documents';
import { insertNew } from './duplicate-key';
import { sweepCursor } from './sweep-cursors';

export function webhookDeliveryRepository(db: Db): WebhookDeliveryRepository {
  const dispatches = db.collection<WebhookDispatchDoc>('webhook_dispatches');
  const attempts = db.collection<WebhookAttemptDoc>('webhook_attempts');
  const cursor = sweepCursor(db, 'sweep');
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
    recoveredThrough: () => cursor.get(),
    setRecoveredThrough: (through) => cursor.set(through),
  };
}

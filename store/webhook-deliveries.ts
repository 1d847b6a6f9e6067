import type { Collection, Db, OptionalUnlessRequiredId } from 'mongodb';
import type { WebhookAttemptDoc, WebhookDispatchDoc } from './documents';
import { insertManyNew } from './duplicate-key';

export interface DispatchPage {
  limit: number;
  /** The last dispatch of the previous page. */
  after?: { created_at: Date; id: string };
}

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

export function webhookDeliveryRepository(db: Db) {
  const dispatches = db.collection<WebhookDispatchDoc>('webhook_dispatches');
  const attempts = db.collection<WebhookAttemptDoc>('webhook_attempts');
  const cursors = db.collection<{ _id: string; through: Date }>('webhook_recovery');
  return {
    /** Claims events for delivery: returns the ids claimed here (the rest were claimed before). */
    claim(docs: WebhookDispatchDoc[]): Promise<Set<string>> {
      return insertNew(dispatches, docs);
    },
    /** Records attempts; one that was already recorded (a retried activity) stays as it was. */
    async recordAttempts(docs: WebhookAttemptDoc[]): Promise<void> {
      await insertNew(attempts, docs);
    },
    dispatch(eventId: string) {
      return dispatches.findOne({ _id: eventId });
    },
    dispatchesSince(from: Date) {
      return dispatches.find({ created_at: { $gte: from } }).toArray();
    },
    /** An endpoint's deliveries, newest first. */
    listForEndpoint(orgId: string, endpointId: string, page: DispatchPage) {
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
    attemptsOf(endpointId: string, eventIds: string[]) {
      return attempts
        .find({ endpoint_id: endpointId, event_id: { $in: eventIds } })
        .sort({ run: 1, attempt: 1 })
        .toArray();
    },
    /** What the sweep needs of every attempt made since `from`. */
    attemptsSince(from: Date) {
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
    /** Deliveries (and their attempts) created before `before`; returns how many. */
    async purgeBefore(before: Date): Promise<number> {
      await attempts.deleteMany({ at: { $lt: before } });
      return (await dispatches.deleteMany({ created_at: { $lt: before } })).deletedCount;
    },
    /** How far the delivery sweep has looked. */
    async recoveredThrough(): Promise<Date | null> {
      return (await cursors.findOne({ _id: 'sweep' }))?.through ?? null;
    },
    async setRecoveredThrough(through: Date): Promise<void> {
      await cursors.updateOne({ _id: 'sweep' }, { $set: { through } }, { upsert: true });
    },
  };
}

export type WebhookDeliveryRepository = ReturnType<typeof webhookDeliveryRepository>;

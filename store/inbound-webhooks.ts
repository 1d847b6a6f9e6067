import { randomUUID } from 'node:crypto';
import type { Db } from 'mongodb';
import type { InboundWebhookDoc } from './documents';

/** After this many failed processing attempts a webhook stays parked, with its last error. */
export const MAX_INBOUND_ATTEMPTS = 10;

export function inboundWebhookRepository(db: Db) {
  const col = db.collection<InboundWebhookDoc>('inbound_webhooks');
  return {
    /** One write for many webhooks: what lets the endpoint acknowledge thousands a second. */
    async saveMany(bodies: { provider: 'meta'; body: string }[]): Promise<InboundWebhookDoc[]> {
      const now = new Date();
      const docs = bodies.map((b) => ({
        _id: randomUUID(),
        ...b,
        received_at: now,
        processed_at: null,
        attempts: 0,
        last_error: null,
      }));
      await col.insertMany(docs, { ordered: false });
      return docs;
    },
    /** One write for many: the collection is large and busy. */
    async markProcessed(ids: string[]): Promise<void> {
      if (!ids.length) return;
      await col.updateMany(
        { _id: { $in: ids } },
        { $set: { processed_at: new Date(), last_error: null } },
      );
    },
    async markFailed(id: string, error: string): Promise<void> {
      await col.updateOne({ _id: id }, { $inc: { attempts: 1 }, $set: { last_error: error } });
    },
    /** Webhooks left unprocessed (a process died, or processing failed) for `olderThanMs`. */
    pending(olderThanMs: number, limit = 500) {
      return col
        .find({
          processed_at: null,
          received_at: { $lte: new Date(Date.now() - olderThanMs) },
          attempts: { $lt: MAX_INBOUND_ATTEMPTS },
        })
        .sort({ received_at: 1 })
        .limit(limit)
        .toArray();
    },
    get(id: string) {
      return col.findOne({ _id: id });
    },
    async purgeProcessed(before: Date): Promise<number> {
      const res = await col.deleteMany({ processed_at: { $ne: null, $lte: before } });
      return res.deletedCount;
    },
  };
}

export type InboundWebhookRepository = ReturnType<typeof inboundWebhookRepository>;

import type { Db } from 'mongodb';
import type { InboundWebhookRepository } from '../contract/inbound-webhooks';
import type { InboundWebhookDoc } from '../documents';
import { MAX_INBOUND_ATTEMPTS, newInboundWebhooks } from '../inbound-webhooks';

export function inboundWebhookRepository(db: Db): InboundWebhookRepository {
  const col = db.collection<InboundWebhookDoc>('inbound_webhooks');
  return {
    /** One write for many webhooks: what lets the endpoint acknowledge thousands a second. */
    async saveMany(bodies) {
      const docs = newInboundWebhooks(bodies);
      await col.insertMany(docs, { ordered: false });
      return docs;
    },
    /** One write for many: the collection is large and busy. */
    async markProcessed(ids) {
      if (!ids.length) return;
      await col.updateMany(
        { _id: { $in: ids } },
        { $set: { processed_at: new Date(), last_error: null } },
      );
    },
    async markFailed(id, error) {
      await col.updateOne({ _id: id }, { $inc: { attempts: 1 }, $set: { last_error: error } });
    },
    /** Webhooks left unprocessed (a process died, or processing failed) for `olderThanMs`. */
    pending(olderThanMs, limit = 500) {
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
    /** On the `queue` index (processed_at, received_at). */
    async pendingStats() {
      const filter = { processed_at: null, attempts: { $lt: MAX_INBOUND_ATTEMPTS } };
      const [count, oldest] = await Promise.all([
        col.countDocuments(filter),
        col.findOne(filter, { sort: { received_at: 1 }, projection: { received_at: 1 } }),
      ]);
      return { count, oldestReceivedAt: oldest?.received_at ?? null };
    },
    get(id) {
      return col.findOne({ _id: id });
    },
    async purgeProcessed(before) {
      const res = await col.deleteMany({ processed_at: { $ne: null, $lte: before } });
      return res.deletedCount;
    },
  };
}

import type { Db } from 'mongodb';
import type { InboundWebhookRepository } from '../contract/inbound-webhooks';
import type { InboundWebhookDoc } from '../documents';
import { newInboundWebhooks } from '../inbound-webhooks';

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
        {
          $set: {
            processed_at: new Date(),
            last_error: null,
            next_attempt_at: null,
            dead_at: null,
          },
        },
      );
    },
    async markFailed(id, error, nextAttemptAt) {
      await col.updateOne(
        { _id: id },
        { $inc: { attempts: 1 }, $set: { last_error: error, next_attempt_at: nextAttemptAt } },
      );
    },
    async markDead(id, error, orgIds, at) {
      await col.updateOne(
        { _id: id },
        {
          $inc: { attempts: 1 },
          $set: { last_error: error, org_ids: orgIds, dead_at: at, next_attempt_at: null },
        },
      );
    },
    /** Webhooks left unprocessed (a process died, or processing failed) and due again. */
    pending(olderThanMs, limit = 500, now = new Date()) {
      return col
        .find({
          processed_at: null,
          dead_at: null,
          received_at: { $lte: new Date(now.getTime() - olderThanMs) },
          $or: [{ next_attempt_at: null }, { next_attempt_at: { $lte: now } }],
        })
        .sort({ received_at: 1 })
        .limit(limit)
        .toArray();
    },
    /** On the `queue` index (processed_at, received_at). */
    async pendingStats() {
      const filter = { processed_at: null, dead_at: null };
      const [count, oldest] = await Promise.all([
        col.countDocuments(filter),
        col.findOne(filter, { sort: { received_at: 1 }, projection: { received_at: 1 } }),
      ]);
      return { count, oldestReceivedAt: oldest?.received_at ?? null };
    },
    countDead() {
      return col.countDocuments({ dead_at: { $ne: null } });
    },
    listDead(orgId, limit) {
      return col
        .find({ dead_at: { $ne: null }, org_ids: orgId })
        .sort({ dead_at: -1, _id: 1 })
        .limit(limit)
        .toArray();
    },
    revive(orgId, id) {
      return col.findOneAndUpdate(
        { _id: id, dead_at: { $ne: null }, org_ids: orgId },
        { $set: { dead_at: null, attempts: 0, next_attempt_at: null } },
        { returnDocument: 'after' },
      );
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

import type { Db } from 'mongodb';
import type { WooDeliveryDoc, WooDeliveryRepository } from '../contract/woocommerce';
import { MAX_WOO_HANDOFF_ATTEMPTS } from '../woocommerce';
import { insertManyNew, retryBusy } from './duplicate-key';

export function wooDeliveryRepository(db: Db): WooDeliveryRepository {
  const col = db.collection<WooDeliveryDoc>('woo_deliveries');
  return {
    /** The `_id` is the dedup key: a delivery seen before is refused by it and left out. */
    async saveMany(docs) {
      const refused = await retryBusy(() =>
        insertManyNew(
          col,
          docs.map((d) => ({ ...d })),
        ),
      );
      return new Set(docs.filter((_, i) => !refused.has(i)).map((d) => d._id));
    },
    async markHandedOff(ids) {
      if (!ids.length) return;
      await retryBusy(() =>
        col.updateMany(
          { _id: { $in: ids }, handed_off_at: null },
          { $set: { handed_off_at: new Date(), last_error: null } },
        ),
      );
    },
    async markFailed(id, error) {
      await retryBusy(() =>
        col.updateOne({ _id: id }, { $inc: { attempts: 1 }, $set: { last_error: error } }),
      );
    },
    pending: (olderThanMs, limit = 500) =>
      col
        .find({
          handed_off_at: null,
          received_at: { $lte: new Date(Date.now() - olderThanMs) },
          attempts: { $lt: MAX_WOO_HANDOFF_ATTEMPTS },
        })
        .sort({ received_at: 1 })
        .limit(limit)
        .toArray(),
    get: (id) => col.findOne({ _id: id }),
    async purgeHandedOff(before) {
      const res = await retryBusy(() =>
        col.deleteMany({ handed_off_at: { $ne: null, $lte: before } }),
      );
      return res.deletedCount;
    },
  };
}

import type { Db, Filter } from 'mongodb';
import type { WooOrderDoc, WooOrderRepository } from '../contract/woocommerce';
import { definedFields, newWooOrder, wooOrderKey } from '../woocommerce';
import { isDuplicateKey, retryBusy } from './duplicate-key';

export function wooOrderRepository(db: Db): WooOrderRepository {
  const col = db.collection<WooOrderDoc>('woo_orders');
  return {
    async record(orgId, storeId, orderId, fields, event) {
      const now = new Date();
      const _id = wooOrderKey(storeId, orderId);
      const set = { ...definedFields(fields), updated_at: now };
      // Inserted whole the first time (FerretDB leaves nulls out of an upsert's insert); after
      // that, or when another first record won the race, only the fields given are set.
      const inserted = await retryBusy(async () => {
        try {
          await col.insertOne({ ...newWooOrder(orgId, storeId, orderId, now), ...set });
          return true;
        } catch (err) {
          if (isDuplicateKey(err)) return false;
          throw err;
        }
      });
      if (!inserted) {
        const res = await retryBusy(() => col.updateOne({ _id, org_id: orgId }, { $set: set }));
        if (!res.matchedCount) throw new Error(`Order ${_id} belongs to another organization`);
      }
      if (event) {
        // Appended unless its id is there already: a retried activity adds nothing.
        await retryBusy(() =>
          col.updateOne(
            { _id, org_id: orgId, 'events.id': { $ne: event.id } },
            { $push: { events: event } },
          ),
        );
      }
      const doc = await col.findOne({ _id, org_id: orgId });
      if (!doc) throw new Error(`Order ${_id} belongs to another organization`);
      return doc;
    },
    get: (orgId, storeId, orderId) =>
      col.findOne({ _id: wooOrderKey(storeId, orderId), org_id: orgId }),
    list(orgId, storeId, { limit, before }) {
      const filter: Filter<WooOrderDoc> = { org_id: orgId, store_id: storeId };
      if (before) {
        filter.$or = [
          { updated_at: { $lt: before.updated_at } },
          { updated_at: before.updated_at, _id: { $lt: before.id } },
        ];
      }
      return col.find(filter).sort({ updated_at: -1, _id: -1 }).limit(limit).toArray();
    },
  };
}

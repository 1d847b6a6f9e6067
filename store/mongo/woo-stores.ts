import type { Db } from 'mongodb';
import { decryptSecret } from '../../lib/crypto';
import type { WooStoreDoc, WooStoreRepository } from '../contract/woocommerce';
import { newWooStore, siteKey, wooStoreSet } from '../woocommerce';
import { retryBusy } from './duplicate-key';

export function wooStoreRepository(db: Db, encryptionKey: Buffer): WooStoreRepository {
  const col = db.collection<WooStoreDoc>('woo_stores');
  return {
    async create(orgId, input) {
      const created = newWooStore(orgId, input, encryptionKey);
      await retryBusy(() => col.insertOne({ ...created.store }));
      return created;
    },
    list: (orgId) => col.find({ org_id: orgId }).sort({ created_at: 1, _id: 1 }).toArray(),
    get: (orgId, id) => col.findOne({ _id: id, org_id: orgId }),
    byId: (id) => col.findOne({ _id: id }),
    bySiteUrl: (siteUrl, limit) =>
      col
        .find({ site_key: siteKey(siteUrl) })
        .sort({ created_at: 1, _id: 1 })
        .limit(limit)
        .toArray(),
    secretOf: (store) => decryptSecret(store.secret_enc, encryptionKey),
    update: (orgId, id, changes) =>
      retryBusy(() =>
        col.findOneAndUpdate(
          { _id: id, org_id: orgId },
          { $set: wooStoreSet(changes, encryptionKey) },
          { returnDocument: 'after' },
        ),
      ),
    async delete(orgId, id) {
      const res = await retryBusy(() => col.deleteOne({ _id: id, org_id: orgId }));
      return res.deletedCount > 0;
    },
  };
}

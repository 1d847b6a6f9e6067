import type { Db } from 'mongodb';
import { sha256Hex } from '../../lib/crypto';
import { newApiKey } from '../api-keys';
import type { ApiKeyRepository } from '../contract/organizations';
import type { ApiKeyDoc } from '../documents';

export function apiKeyRepository(db: Db): ApiKeyRepository {
  const col = db.collection<ApiKeyDoc>('api_keys');
  return {
    async create(orgId, input) {
      const created = newApiKey(orgId, input);
      await col.insertOne(created.doc);
      return created;
    },
    list(orgId) {
      return col.find({ org_id: orgId }).sort({ created_at: -1 }).toArray();
    },
    get(orgId, id) {
      return col.findOne({ _id: id, org_id: orgId });
    },
    async revoke(orgId, id, at = new Date()) {
      await col.updateOne(
        { _id: id, org_id: orgId, revoked_at: null },
        { $set: { revoked_at: at } },
      );
      return col.findOne({ _id: id, org_id: orgId });
    },
    findByKey(key) {
      return col.findOne({ key_hash: sha256Hex(key) });
    },
    async touch(id, at = new Date()) {
      await col.updateOne({ _id: id }, { $set: { last_used_at: at } });
    },
  };
}

import type { Db } from 'mongodb';
import type { GatewaySettingsRepository } from '../contract/payments';
import type { GatewaySettingsDoc } from '../documents';
import { gatewaySettingsId, openKeys, sealKeys } from '../gateway-settings';
import { upsertRacing } from './duplicate-key';

export function gatewaySettingsRepository(
  db: Db,
  encryptionKey: Buffer,
): GatewaySettingsRepository {
  const col = db.collection<GatewaySettingsDoc>('gateway_settings');
  return {
    async put(orgId, gateway, keys, mode) {
      const now = new Date();
      const doc = await upsertRacing(() =>
        col.findOneAndUpdate(
          { _id: gatewaySettingsId(orgId, gateway) },
          {
            $set: { mode, keys_enc: sealKeys(keys, encryptionKey), updated_at: now },
            $setOnInsert: { org_id: orgId, gateway, created_at: now },
          },
          { upsert: true, returnDocument: 'after' },
        ),
      );
      return doc!;
    },
    get: (orgId, gateway) => col.findOne({ _id: gatewaySettingsId(orgId, gateway) }),
    listForGateway: (gateway) => col.find({ gateway }).sort({ created_at: 1 }).toArray(),
    keysOf: (doc) => openKeys(doc, encryptionKey),
  };
}

import type pg from 'pg';
import type { GatewaySettingsRepository } from '../contract/payments';
import type { GatewaySettingsDoc } from '../documents';
import { gatewaySettingsId, openKeys, sealKeys } from '../gateway-settings';
import { many, one } from './db';

export function gatewaySettingsRepository(
  pool: pg.Pool,
  encryptionKey: Buffer,
): GatewaySettingsRepository {
  return {
    async put(orgId, gateway, keys, mode) {
      const now = new Date();
      const doc = await one<GatewaySettingsDoc>(
        pool,
        `INSERT INTO gateway_settings (id, org_id, gateway, mode, keys_enc, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6)
         ON CONFLICT (id) DO UPDATE SET mode = $4, keys_enc = $5, updated_at = $6
         RETURNING *`,
        [
          gatewaySettingsId(orgId, gateway),
          orgId,
          gateway,
          mode,
          sealKeys(keys, encryptionKey),
          now,
        ],
      );
      return doc!;
    },
    get: (orgId, gateway) =>
      one(pool, 'SELECT * FROM gateway_settings WHERE id = $1', [
        gatewaySettingsId(orgId, gateway),
      ]),
    listForGateway: (gateway) =>
      many(pool, 'SELECT * FROM gateway_settings WHERE gateway = $1 ORDER BY created_at', [
        gateway,
      ]),
    keysOf: (doc) => openKeys(doc, encryptionKey),
  };
}

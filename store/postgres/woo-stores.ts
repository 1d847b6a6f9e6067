import type pg from 'pg';
import { decryptSecret } from '../../lib/crypto';
import type { WooStoreDoc, WooStoreRepository } from '../contract/woocommerce';
import { newWooStore, siteKey, wooStoreSet } from '../woocommerce';
import { insertValues, many, one } from './db';

const COLUMNS = [
  'id',
  'org_id',
  'name',
  'site_url',
  'site_key',
  'secret_enc',
  'account_id',
  'settings',
  'created_at',
  'updated_at',
];
const JSON_COLUMNS = ['settings'];

export function wooStoreRepository(pool: pg.Pool, encryptionKey: Buffer): WooStoreRepository {
  return {
    async create(orgId, input) {
      const created = newWooStore(orgId, input, encryptionKey);
      const { text, values } = insertValues(
        'woo_stores',
        COLUMNS,
        [{ ...created.store }],
        JSON_COLUMNS,
      );
      await pool.query(text, values);
      return created;
    },
    list: (orgId) =>
      many(pool, 'SELECT * FROM woo_stores WHERE org_id = $1 ORDER BY created_at, id', [orgId]),
    get: (orgId, id) =>
      one(pool, 'SELECT * FROM woo_stores WHERE id = $1 AND org_id = $2', [id, orgId]),
    byId: (id) => one(pool, 'SELECT * FROM woo_stores WHERE id = $1', [id]),
    bySiteUrl: (siteUrl, limit) =>
      many(pool, 'SELECT * FROM woo_stores WHERE site_key = $1 ORDER BY created_at, id LIMIT $2', [
        siteKey(siteUrl),
        limit,
      ]),
    secretOf: (store) => decryptSecret(store.secret_enc, encryptionKey),
    update(orgId, id, changes) {
      const set = wooStoreSet(changes, encryptionKey);
      const columns = Object.keys(set) as (keyof WooStoreDoc)[];
      return one(
        pool,
        `UPDATE woo_stores SET ${columns.map((c, i) => `${c} = $${i + 3}`).join(', ')}
         WHERE id = $1 AND org_id = $2 RETURNING *`,
        [
          id,
          orgId,
          ...columns.map((c) => (JSON_COLUMNS.includes(c) ? JSON.stringify(set[c]) : set[c])),
        ],
      );
    },
    async delete(orgId, id) {
      const res = await pool.query('DELETE FROM woo_stores WHERE id = $1 AND org_id = $2', [
        id,
        orgId,
      ]);
      return (res.rowCount ?? 0) > 0;
    },
  };
}

import type pg from 'pg';
import { sha256Hex } from '../../lib/crypto';
import { newApiKey } from '../api-keys';
import type { ApiKeyRepository } from '../contract/organizations';
import { insertValues, many, one } from './db';

const COLUMNS = [
  'id',
  'org_id',
  'name',
  'prefix',
  'key_hash',
  'expires_at',
  'revoked_at',
  'rate_limit',
  'created_at',
  'last_used_at',
];

export function apiKeyRepository(pool: pg.Pool): ApiKeyRepository {
  return {
    async create(orgId, input) {
      const created = newApiKey(orgId, input);
      const insert = insertValues('api_keys', COLUMNS, [{ ...created.doc }], ['rate_limit']);
      await pool.query(insert.text, insert.values);
      return created;
    },
    list: (orgId) =>
      many(pool, 'SELECT * FROM api_keys WHERE org_id = $1 ORDER BY created_at DESC', [orgId]),
    get: (orgId, id) =>
      one(pool, 'SELECT * FROM api_keys WHERE id = $1 AND org_id = $2', [id, orgId]),
    revoke: (orgId, id, at = new Date()) =>
      one(
        pool,
        `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $3)
         WHERE id = $1 AND org_id = $2 RETURNING *`,
        [id, orgId, at],
      ),
    findByKey: (key) => one(pool, 'SELECT * FROM api_keys WHERE key_hash = $1', [sha256Hex(key)]),
    async touch(id, at = new Date()) {
      await pool.query('UPDATE api_keys SET last_used_at = $2 WHERE id = $1', [id, at]);
    },
  };
}

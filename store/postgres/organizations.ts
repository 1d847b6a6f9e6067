import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { OrganizationRepository } from '../contract/organizations';
import type { OrganizationDoc } from '../documents';
import { one } from './db';

export function organizationRepository(pool: pg.Pool): OrganizationRepository {
  return {
    async create(name) {
      const doc: OrganizationDoc = {
        _id: randomUUID(),
        name,
        default_country: null,
        created_at: new Date(),
      };
      await pool.query('INSERT INTO organizations (id, name, created_at) VALUES ($1, $2, $3)', [
        doc._id,
        doc.name,
        doc.created_at,
      ]);
      return doc;
    },
    get: (id) => one(pool, 'SELECT * FROM organizations WHERE id = $1', [id]),
    first: () => one(pool, 'SELECT * FROM organizations ORDER BY created_at LIMIT 1', []),
    update: (id, patch) =>
      one(
        pool,
        `UPDATE organizations SET default_country = CASE WHEN $2 THEN $3 ELSE default_country END
         WHERE id = $1 RETURNING *`,
        [id, patch.default_country !== undefined, patch.default_country ?? null],
      ),
  };
}

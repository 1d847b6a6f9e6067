import type pg from 'pg';
import type { TemplateRepository } from '../contract/accounts';
import type { TemplateDoc } from '../documents';
import { pickTemplate } from '../templates';
import { insertValues, many } from './db';

const COLUMNS = [
  'id',
  'org_id',
  'account_id',
  'meta_id',
  'name',
  'language',
  'category',
  'status',
  'components',
  'parameter_counts',
  'header_format',
  'quality_score',
  'synced_at',
];
const JSON_COLUMNS = ['components', 'parameter_counts'];
/** Rows per statement: well under PostgreSQL's 65,535 parameters. */
const CHUNK = 1_000;
const ORDER = 'ORDER BY name, language, account_id';

export function templateRepository(pool: pg.Pool): TemplateRepository {
  return {
    async upsert(docs) {
      // A list without quality keeps the one the last quality webhook gave.
      const updates = COLUMNS.filter((c) => c !== 'id')
        .map((c) =>
          c === 'quality_score'
            ? `${c} = COALESCE(EXCLUDED.${c}, templates.${c})`
            : `${c} = EXCLUDED.${c}`,
        )
        .join(', ');
      for (let i = 0; i < docs.length; i += CHUNK) {
        const rows = docs.slice(i, i + CHUNK).map((d) => ({ ...d }));
        const { text, values } = insertValues('templates', COLUMNS, rows, JSON_COLUMNS);
        await pool.query(`${text} ON CONFLICT (id) DO UPDATE SET ${updates}`, values);
      }
    },

    async removeOthers(accountId, keep) {
      const res = await pool.query(
        'DELETE FROM templates WHERE account_id = $1 AND NOT (id = ANY($2::text[]))',
        [accountId, keep],
      );
      return res.rowCount ?? 0;
    },

    async removeForAccount(accountId) {
      return (
        (await pool.query('DELETE FROM templates WHERE account_id = $1', [accountId])).rowCount ?? 0
      );
    },

    matching: (accountIds, { metaId, name, language }) =>
      many<TemplateDoc>(
        pool,
        `SELECT * FROM templates WHERE account_id = ANY($1::text[])
           AND (meta_id = $2 OR (name = $3 AND language = $4)) ${ORDER}`,
        [accountIds, metaId, name, language],
      ),

    async patch(ids, patch) {
      const sets = Object.entries(patch).filter(([, v]) => v !== undefined);
      if (!ids.length || !sets.length) return;
      await pool.query(
        `UPDATE templates SET ${sets.map(([c], i) => `${c} = $${i + 2}`).join(', ')}
         WHERE id = ANY($1::text[])`,
        [ids, ...sets.map(([, v]) => v)],
      );
    },

    list(orgId, filter = {}) {
      const where = ['org_id = $1'];
      const values: unknown[] = [orgId];
      for (const [column, value] of [
        ['account_id', filter.accountId],
        ['status', filter.status],
        ['name', filter.name],
      ] as const) {
        if (!value) continue;
        values.push(value);
        where.push(`${column} = $${values.length}`);
      }
      return many<TemplateDoc>(
        pool,
        `SELECT * FROM templates WHERE ${where.join(' AND ')} ${ORDER}`,
        values,
      );
    },

    async find(orgId, accountId, name, language) {
      const all = await many<TemplateDoc>(
        pool,
        `SELECT * FROM templates WHERE org_id = $1 AND name = $2 AND account_id = $3 ${ORDER}`,
        [orgId, name, accountId],
      );
      return pickTemplate(all, language);
    },
  };
}

import type pg from 'pg';
import type {
  AutomationDoc,
  AutomationRepository,
  AutomationVersionDoc,
} from '../contract/automations';
import { automationVersionDoc, newAutomation } from '../automations';
import { insertValues, json, many, one, transaction } from './db';

const COLUMNS = [
  'id',
  'org_id',
  'name',
  'enabled',
  'account_id',
  'trigger',
  'conditions',
  'steps',
  'priority',
  'version',
  'created_at',
  'updated_at',
];
const JSON_COLUMNS = ['trigger', 'conditions', 'steps'];
const SELECT = COLUMNS.join(', ');
const VERSION_COLUMNS = ['id', 'org_id', 'automation_id', 'version', 'definition', 'created_at'];

export function automationRepository(pool: pg.Pool): AutomationRepository {
  const writeVersion = (db: pg.PoolClient, doc: AutomationDoc) => {
    const { text, values } = insertValues(
      'automation_versions',
      VERSION_COLUMNS,
      [{ ...automationVersionDoc(doc) }],
      ['definition'],
    );
    return db.query(text, values);
  };

  return {
    async create(orgId, input) {
      const doc = newAutomation(orgId, input);
      await transaction(pool, async (db) => {
        const { text, values } = insertValues('automations', COLUMNS, [{ ...doc }], JSON_COLUMNS);
        await db.query(text, values);
        await writeVersion(db, doc);
      });
      return doc;
    },

    get: (orgId, id) =>
      one<AutomationDoc>(pool, `SELECT ${SELECT} FROM automations WHERE id = $1 AND org_id = $2`, [
        id,
        orgId,
      ]),

    list(orgId, { limit, before }) {
      const values: unknown[] = [orgId, limit];
      let cursor = '';
      if (before) {
        values.push(before.created_at, before.id);
        cursor = 'AND (created_at, id) < ($3, $4)';
      }
      return many<AutomationDoc>(
        pool,
        `SELECT ${SELECT} FROM automations WHERE org_id = $1 ${cursor}
         ORDER BY created_at DESC, id DESC LIMIT $2`,
        values,
      );
    },

    update(orgId, id, input) {
      return transaction(pool, async (db) => {
        const doc = await one<AutomationDoc>(
          db,
          `UPDATE automations SET name = $3, enabled = $4, account_id = $5, trigger = $6,
             conditions = $7, steps = $8, priority = $9, version = version + 1, updated_at = now()
           WHERE id = $1 AND org_id = $2 RETURNING ${SELECT}`,
          [
            id,
            orgId,
            input.name,
            input.enabled,
            input.account_id,
            json(input.trigger),
            json(input.conditions),
            json(input.steps),
            input.priority,
          ],
        );
        if (doc) await writeVersion(db, doc);
        return doc;
      });
    },

    delete(orgId, id) {
      return transaction(pool, async (db) => {
        const res = await db.query('DELETE FROM automations WHERE id = $1 AND org_id = $2', [
          id,
          orgId,
        ]);
        if (!res.rowCount) return false;
        await db.query('DELETE FROM automation_versions WHERE automation_id = $1', [id]);
        return true;
      });
    },

    version: (automationId, version) =>
      one<AutomationVersionDoc>(
        pool,
        `SELECT ${VERSION_COLUMNS.join(', ')} FROM automation_versions
         WHERE automation_id = $1 AND version = $2`,
        [automationId, version],
      ),

    enabled: (orgId) =>
      many<AutomationDoc>(
        pool,
        `SELECT ${SELECT} FROM automations WHERE org_id = $1 AND enabled
         ORDER BY priority DESC, created_at, id`,
        [orgId],
      ),
  };
}

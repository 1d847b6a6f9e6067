import type pg from 'pg';
import { ConflictError } from '../../lib/errors';
import { ACTION_FIELDS, duplicateActionName, newAction } from '../actions';
import type { ActionRepository } from '../contract/actions';
import type { ActionDoc, ActionRunDoc } from '../documents';
import { insertValues, isUniqueViolation, many, one, transaction, type Row } from './db';

const COLUMNS = [
  'id',
  'org_id',
  'name',
  'description',
  'code',
  'disabled_reason',
  'disabled_at',
  'created_at',
  'updated_at',
];
const SELECT = COLUMNS.join(', ');
const RUN_COLUMNS = [
  'id',
  'org_id',
  'action_id',
  'caller_type',
  'caller_id',
  'outcome',
  'error',
  'duration_ms',
  'created_at',
];
/** Rows per INSERT: well below PostgreSQL's 65,535 parameters. */
const RUN_CHUNK = 1_000;

const toRunRow = (r: ActionRunDoc): Row => ({
  _id: r._id,
  org_id: r.org_id,
  action_id: r.action_id,
  caller_type: r.caller.type,
  caller_id: r.caller.id,
  outcome: r.outcome,
  error: r.error,
  duration_ms: r.duration_ms,
  created_at: r.created_at,
});

const fromRunRow = (r: Row): ActionRunDoc => ({
  _id: r.id as string,
  org_id: r.org_id as string,
  action_id: r.action_id as string,
  caller: {
    type: r.caller_type as ActionRunDoc['caller']['type'],
    id: r.caller_id as string | null,
  },
  outcome: r.outcome as ActionRunDoc['outcome'],
  error: r.error as string | null,
  duration_ms: r.duration_ms as number,
  created_at: r.created_at as Date,
});

async function uniqueName<T>(name: string | undefined, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (isUniqueViolation(err, 'actions_org_name')) {
      throw new ConflictError(duplicateActionName(name ?? ''));
    }
    throw err;
  }
}

export function actionRepository(pool: pg.Pool): ActionRepository {
  return {
    async create(orgId, input) {
      const doc = newAction(orgId, input);
      const { text, values } = insertValues('actions', COLUMNS, [{ ...doc }]);
      await uniqueName(input.name, () => pool.query(text, values));
      return doc;
    },

    list: (orgId) =>
      many<ActionDoc>(pool, `SELECT ${SELECT} FROM actions WHERE org_id = $1 ORDER BY name, id`, [
        orgId,
      ]),

    get: (orgId, id) =>
      one<ActionDoc>(pool, `SELECT ${SELECT} FROM actions WHERE id = $1 AND org_id = $2`, [
        id,
        orgId,
      ]),

    update(orgId, id, changes) {
      const fields = ACTION_FIELDS.filter((f) => changes[f] !== undefined);
      const sets = [...fields.map((f, i) => `${f} = $${i + 3}`), 'updated_at = now()'];
      if (changes.code !== undefined) sets.push('disabled_reason = NULL', 'disabled_at = NULL');
      return uniqueName(changes.name, () =>
        one<ActionDoc>(
          pool,
          `UPDATE actions SET ${sets.join(', ')} WHERE id = $1 AND org_id = $2 RETURNING ${SELECT}`,
          [id, orgId, ...fields.map((f) => changes[f])],
        ),
      );
    },

    disable: (orgId, id, reason) =>
      one<ActionDoc>(
        pool,
        `UPDATE actions SET disabled_reason = $3, disabled_at = now(), updated_at = now()
         WHERE id = $1 AND org_id = $2 RETURNING ${SELECT}`,
        [id, orgId, reason],
      ),

    delete: (orgId, id) =>
      transaction(pool, async (client) => {
        const res = await client.query('DELETE FROM actions WHERE id = $1 AND org_id = $2', [
          id,
          orgId,
        ]);
        if (!res.rowCount) return false;
        await client.query('DELETE FROM action_runs WHERE action_id = $1', [id]);
        return true;
      }),

    async recordRuns(runs) {
      for (let i = 0; i < runs.length; i += RUN_CHUNK) {
        const rows = runs.slice(i, i + RUN_CHUNK).map(toRunRow);
        const { text, values } = insertValues('action_runs', RUN_COLUMNS, rows);
        await pool.query(`${text} ON CONFLICT (id) DO NOTHING`, values);
      }
    },

    async runs(orgId, actionId, { limit, before }) {
      const values: unknown[] = [actionId, orgId, limit];
      let cursor = '';
      if (before) {
        values.push(before.created_at, before.id);
        cursor = 'AND (created_at, id) < ($4, $5)';
      }
      const res = await pool.query(
        `SELECT ${RUN_COLUMNS.join(', ')} FROM action_runs
         WHERE action_id = $1 AND org_id = $2 ${cursor}
         ORDER BY created_at DESC, id DESC LIMIT $3`,
        values,
      );
      return res.rows.map((r) => fromRunRow(r as Row));
    },
  };
}

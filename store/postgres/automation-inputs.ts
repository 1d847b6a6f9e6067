import type pg from 'pg';
import type { AutomationInputDoc, AutomationInputRepository } from '../contract/automations';
import { storedInOrder } from '../automations';
import { insertNew, json, many, one } from './db';
import { sweepCursor } from './sweep-cursors';

const COLUMNS = ['id', 'org_id', 'contact_id', 'decision', 'state', 'created_at', 'done_at'];
const SELECT = COLUMNS.join(', ');

export function automationInputRepository(pool: pg.Pool): AutomationInputRepository {
  const cursor = sweepCursor(pool, 'automation_inputs');
  return {
    async decide(inputs) {
      const inserted = await insertNew(pool, 'automation_inputs', COLUMNS, inputs, ['decision']);
      const earlier = inputs.filter((i) => !inserted.has(i._id)).map((i) => i._id);
      const stored = earlier.length
        ? await many<AutomationInputDoc>(
            pool,
            `SELECT ${SELECT} FROM automation_inputs WHERE id = ANY($1)`,
            [earlier],
          )
        : [];
      return storedInOrder(inputs, inserted, stored);
    },

    async redecide(id, decision) {
      await pool.query(
        `UPDATE automation_inputs SET decision = $2 WHERE id = $1 AND state = 'decided'`,
        [id, json(decision)],
      );
    },

    async done(ids, at) {
      await pool.query(
        `UPDATE automation_inputs SET state = 'done', done_at = $2
         WHERE id = ANY($1) AND state = 'decided'`,
        [ids, at],
      );
    },

    async unseen(ids) {
      const { rows } = await pool.query<{ id: string }>(
        'SELECT id FROM automation_inputs WHERE id = ANY($1)',
        [ids],
      );
      const seen = new Set(rows.map((r) => r.id));
      return ids.filter((id) => !seen.has(id));
    },

    undone: (before, limit) =>
      many<AutomationInputDoc>(
        pool,
        `SELECT ${SELECT} FROM automation_inputs WHERE state = 'decided' AND created_at < $1
         ORDER BY created_at, id LIMIT $2`,
        [before, limit],
      ),

    get: (id) =>
      one<AutomationInputDoc>(pool, `SELECT ${SELECT} FROM automation_inputs WHERE id = $1`, [id]),

    sweptThrough: () => cursor.get(),
    setSweptThrough: (at) => cursor.set(at),

    async purgeBefore(before) {
      const res = await pool.query('DELETE FROM automation_inputs WHERE created_at < $1', [before]);
      return res.rowCount ?? 0;
    },
  };
}

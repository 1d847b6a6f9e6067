import type pg from 'pg';
import type {
  AutomationRunDoc,
  AutomationRunRepository,
  InboundFacts,
  RunPage,
  RunState,
} from '../contract/automations';
import { emptyRunCounts } from '../automations';
import { fromRow, insertValues, json, type Row } from './db';

const COLUMNS = [
  'id',
  'org_id',
  'automation_id',
  'version',
  'contact_id',
  'state',
  'active_key',
  'trigger',
  'step',
  'wait',
  'wait_until',
  'seq',
  'context',
  'path',
  'last_input',
  'end_reason',
  'created_at',
  'updated_at',
  'ended_at',
];
const JSON_COLUMNS = ['trigger', 'wait', 'context', 'path'];
const SELECT = COLUMNS.join(', ');
const ACTIVE = `state IN ('running', 'waiting')`;

const facts = (m: InboundFacts | null): InboundFacts | null => m && { ...m, at: new Date(m.at) };

/** jsonb keeps dates as text: the run's dates come back as Dates. */
function toRun(row: Row): AutomationRunDoc {
  const { wait_until: _, ...doc } = fromRow<AutomationRunDoc & { wait_until: Date | null }>(row);
  return {
    ...doc,
    trigger: { ...doc.trigger, message: facts(doc.trigger.message) },
    wait: doc.wait && {
      ...doc.wait,
      since: new Date(doc.wait.since),
      until: new Date(doc.wait.until),
    },
    context: { ...doc.context, message: facts(doc.context.message) },
    path: doc.path.map((p) => ({ ...p, at: new Date(p.at) })),
  };
}

export function automationRunRepository(pool: pg.Pool): AutomationRunRepository {
  const rows = async (text: string, values: unknown[]) =>
    (await pool.query(text, values)).rows.map((r) => toRun(r as Row));
  const first = async (text: string, values: unknown[]) => (await rows(text, values))[0] ?? null;

  const page = (where: string[], values: unknown[], { limit, state, before }: RunPage) => {
    if (state) where.push(`state = $${values.push(state)}`);
    if (before) {
      const at = values.push(before.created_at);
      where.push(`(created_at, id) < ($${at}, $${values.push(before.id)})`);
    }
    return rows(
      `SELECT ${SELECT} FROM automation_runs WHERE ${where.join(' AND ')}
       ORDER BY created_at DESC, id DESC LIMIT $${values.push(limit)}`,
      values,
    );
  };

  return {
    async start(run) {
      const { text, values } = insertValues(
        'automation_runs',
        COLUMNS,
        [{ ...run, wait_until: run.wait?.until ?? null }],
        JSON_COLUMNS,
      );
      // Either unique key (the id, the active key) refuses it.
      const res = await pool.query(`${text} ON CONFLICT DO NOTHING`, values);
      if (res.rowCount) return { outcome: 'started', run };
      const stored = await first(`SELECT ${SELECT} FROM automation_runs WHERE id = $1`, [run._id]);
      return stored ? { outcome: 'exists', run: stored } : { outcome: 'busy', run: null };
    },

    get: (id) => first(`SELECT ${SELECT} FROM automation_runs WHERE id = $1`, [id]),

    find: (orgId, id) =>
      first(`SELECT ${SELECT} FROM automation_runs WHERE id = $1 AND org_id = $2`, [id, orgId]),

    active: (orgId, contactIds) =>
      rows(
        `SELECT ${SELECT} FROM automation_runs
         WHERE org_id = $1 AND contact_id = ANY($2) AND ${ACTIVE} ORDER BY created_at, id`,
        [orgId, contactIds],
      ),

    claim: (id, seq, input, at) =>
      // The stored row the update did not take is read from before it: one that this input
      // took earlier (a retried claim) is returned as it is.
      first(
        `WITH taken AS (
           UPDATE automation_runs SET state = 'running', last_input = $3, wait = NULL,
             wait_until = NULL, updated_at = $4
           WHERE id = $1 AND state = 'waiting' AND seq = $2 RETURNING ${SELECT}
         )
         SELECT ${SELECT} FROM taken
         UNION ALL
         SELECT ${SELECT} FROM automation_runs
         WHERE id = $1 AND last_input = $3 AND NOT EXISTS (SELECT 1 FROM taken)`,
        [id, seq, input, at],
      ),

    async save(run) {
      const res = await pool.query(
        `UPDATE automation_runs SET state = $3, step = $4, wait = $5, wait_until = $6, seq = $7,
           context = $8, path = $9, end_reason = $10, ended_at = $11, active_key = $12,
           updated_at = $13
         WHERE id = $1 AND last_input = $2 AND state = 'running'`,
        [
          run._id,
          run.last_input,
          run.state,
          run.step,
          run.wait && json(run.wait),
          run.wait?.until ?? null,
          run.seq,
          json(run.context),
          json(run.path),
          run.end_reason,
          run.ended_at,
          run.active_key,
          run.updated_at,
        ],
      );
      return res.rowCount === 1;
    },

    list: (automationId, p) => page(['automation_id = $1'], [automationId], p),

    listForContact: (orgId, contactId, p) =>
      page(['org_id = $1', 'contact_id = $2'], [orgId, contactId], p),

    cancel(match, reason, at) {
      const values: unknown[] = [match.orgId, reason, at];
      const where = ['org_id = $1', ACTIVE];
      if (match.contactIds) where.push(`contact_id = ANY($${values.push(match.contactIds)})`);
      if (match.automationId) where.push(`automation_id = $${values.push(match.automationId)}`);
      if (match.runId) where.push(`id = $${values.push(match.runId)}`);
      return rows(
        `UPDATE automation_runs SET state = 'cancelled', end_reason = $2, ended_at = $3,
           updated_at = $3, active_key = id, wait = NULL, wait_until = NULL, step = NULL
         WHERE ${where.join(' AND ')} RETURNING ${SELECT}`,
        values,
      );
    },

    stalled: (before, limit) =>
      rows(
        `SELECT ${SELECT} FROM automation_runs WHERE state = 'running' AND updated_at < $1
         ORDER BY updated_at LIMIT $2`,
        [before, limit],
      ),

    overdue: (before, limit) =>
      rows(
        `SELECT ${SELECT} FROM automation_runs WHERE state = 'waiting' AND wait_until < $1
         ORDER BY wait_until LIMIT $2`,
        [before, limit],
      ),

    async counts(automationId) {
      const { rows: found } = await pool.query<{ state: RunState; n: number }>(
        `SELECT state, count(*) AS n FROM automation_runs WHERE automation_id = $1 GROUP BY state`,
        [automationId],
      );
      const counts = emptyRunCounts();
      for (const r of found) counts[r.state] = r.n;
      return counts;
    },
  };
}

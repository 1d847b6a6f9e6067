import type pg from 'pg';
import type { MessageRepository, StatusReason } from '../contract';
import type { MessageDoc, MessageStatus } from '../documents';
import { newMessageDoc, STATUS_RANK } from '../messages';
import { fromRow, insertValues, json, type Queryable, type Row } from './db';

const COLUMNS = [
  'id',
  'org_id',
  'account_id',
  'contact_id',
  'direction',
  'phone_number',
  'type',
  'content',
  'origin',
  'origin_id',
  'request_hash',
  'wamid',
  'status',
  'status_history',
  'error',
  'created_at',
  'updated_at',
];
const JSON_COLUMNS = ['content', 'status_history', 'error'];

/** History times come back from jsonb as text. */
function toMessage(row: Row): MessageDoc {
  const { status_rank, ...rest } = row;
  const doc = fromRow<MessageDoc>(rest);
  return {
    ...doc,
    status_history: doc.status_history.map((h) => ({ ...h, at: new Date(h.at) })),
  };
}

async function oneMessage(db: Queryable, text: string, values: unknown[]) {
  const res = await db.query(text, values);
  return res.rows[0] ? toMessage(res.rows[0] as Row) : null;
}

/**
 * The SET clause that applies status `$2` (rank `$3`) in one statement: the history gets it
 * once (`$4` is the entry, `$5` its containment probe), and the status moves only forward,
 * taking the error `$6` with it. PostgreSQL locks the row and re-evaluates these on its latest
 * version, so concurrent statuses of one message never lose each other.
 */
const APPLY_STATUS = `
  status_history = CASE WHEN status_history @> $5::jsonb THEN status_history
                        ELSE status_history || $4::jsonb END,
  status = CASE WHEN status_rank < $3 THEN $2 ELSE status END,
  error = CASE WHEN status_rank < $3 AND $6::jsonb IS NOT NULL THEN $6::jsonb ELSE error END,
  updated_at = CASE WHEN status_rank < $3 THEN now() ELSE updated_at END`;

function statusParams(status: MessageStatus, at: Date, error: StatusReason | null) {
  return [
    status,
    STATUS_RANK[status],
    json([error ? { status, at, error } : { status, at }]),
    json([{ status }]),
    error ? json(error) : null,
  ];
}

export function messageRepository(pool: pg.Pool): MessageRepository {
  return {
    async insert(message, at = new Date()) {
      const doc = newMessageDoc(message, at);
      const { text, values } = insertValues('messages', COLUMNS, [{ ...doc }], JSON_COLUMNS);
      const res = await pool.query(`${text} ON CONFLICT (id) DO NOTHING`, values);
      if (res.rowCount === 1) return { doc, created: true };
      const existing = await oneMessage(pool, 'SELECT * FROM messages WHERE id = $1', [doc._id]);
      if (!existing) throw new Error(`Message ${doc._id} conflicted but cannot be read`);
      return { doc: existing, created: false };
    },

    get: (orgId, id) =>
      oneMessage(pool, 'SELECT * FROM messages WHERE id = $1 AND org_id = $2', [id, orgId]),

    byWamid: (wamid) =>
      oneMessage(pool, 'SELECT * FROM messages WHERE wamid = $1 LIMIT 1', [wamid]),

    byId: (id) => oneMessage(pool, 'SELECT * FROM messages WHERE id = $1', [id]),

    async setWamid(id, wamid) {
      await pool.query(
        'UPDATE messages SET wamid = $2, updated_at = now() WHERE id = $1 AND wamid IS NULL',
        [id, wamid],
      );
    },

    async recordSent(id, wamid, at = new Date()) {
      await pool.query(
        `UPDATE messages SET wamid = COALESCE(wamid, $7), ${APPLY_STATUS} WHERE id = $1`,
        [id, ...statusParams('sent', at, null), wamid],
      );
    },

    async applyStatus(id, status, at, error = null) {
      await pool.query(
        `UPDATE messages SET ${APPLY_STATUS}
         WHERE id = $1 AND (status_rank < $3 OR NOT status_history @> $5::jsonb)`,
        [id, ...statusParams(status, at, error)],
      );
    },

    async history(orgId, contactId, opts) {
      const values: unknown[] = [orgId, contactId];
      let cursor = '';
      if (opts.beforeTime && opts.beforeId) {
        values.push(opts.beforeTime, opts.beforeId);
        cursor = 'AND (created_at, id) < ($3, $4)';
      } else if (opts.beforeTime) {
        values.push(opts.beforeTime);
        cursor = 'AND created_at < $3';
      }
      values.push(opts.limit);
      const res = await pool.query(
        `SELECT * FROM messages WHERE org_id = $1 AND contact_id = $2 ${cursor}
         ORDER BY created_at DESC, id DESC LIMIT $${values.length}`,
        values,
      );
      return res.rows.map((r) => toMessage(r as Row));
    },
  };
}

import type pg from 'pg';
import type {
  MessageRepository,
  StatusReason,
  StatusTarget,
  StatusUpdate,
} from '../contract/messages';
import type { MessageConversation, MessageDoc, MessageStatus } from '../documents';
import { FREE_IN_WINDOW, newMessageDoc, STATUS_RANK } from '../messages';
import { insertValues, json, type Queryable, type Row } from './db';

export const COLUMNS = [
  'id',
  'org_id',
  'account_id',
  'contact_id',
  'direction',
  'phone_number',
  'user_id',
  'type',
  'content',
  'context',
  'origin',
  'origin_id',
  'request_hash',
  'wamid',
  'status',
  'status_history',
  'error',
  'pricing',
  'conversation',
  'created_at',
  'updated_at',
];
export const JSON_COLUMNS = [
  'content',
  'context',
  'status_history',
  'error',
  'pricing',
  'conversation',
];

type HistoryEntry = MessageDoc['status_history'][number];
type StoredConversation = MessageConversation & { expires_at: string | Date | null };

/**
 * A messages row as the record, field by field: rows come from the driver as objects of some
 * 30 keys, and copying them with rest and spread cost more than the send itself. History times
 * come back from jsonb as text. `context` and `deferred` are absent unless set, as MongoDB
 * stores them; other columns of the row (a claim's `q_` ones, `status_rank`) are left out.
 */
export function toMessage(row: Row): MessageDoc {
  const d = row.deferred as { until: string; reason: StatusReason } | null | undefined;
  const context = row.context as MessageDoc['context'] | undefined;
  const conversation = (row.conversation as StoredConversation | null | undefined) ?? null;
  const doc: MessageDoc = {
    _id: row.id as string,
    org_id: row.org_id as string,
    account_id: row.account_id as string,
    contact_id: row.contact_id as string,
    direction: row.direction as MessageDoc['direction'],
    phone_number: row.phone_number as string | null,
    user_id: row.user_id as string | null,
    type: row.type as string,
    content: row.content as MessageDoc['content'],
    origin: row.origin as MessageDoc['origin'],
    origin_id: row.origin_id as string | null,
    request_hash: row.request_hash as string | null,
    wamid: row.wamid as string | null,
    status: row.status as MessageStatus,
    status_history: (row.status_history as HistoryEntry[]).map((h) => ({
      ...h,
      at: new Date(h.at),
    })),
    error: row.error as MessageDoc['error'],
    pricing: (row.pricing as MessageDoc['pricing'] | undefined) ?? null,
    conversation: conversation && {
      ...conversation,
      expires_at: conversation.expires_at ? new Date(conversation.expires_at) : null,
    },
    created_at: row.created_at as Date,
    updated_at: row.updated_at as Date,
  };
  if (d) doc.deferred = { ...d, until: new Date(d.until) };
  if (context) doc.context = context;
  return doc;
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

const TARGET_COLUMNS = 'm.id, m.contact_id, m.phone_number, m.user_id, m.type, m.status, m.wamid';

/**
 * Applies a batch of statuses in one statement. Each update finds its message by wamid within
 * its organization, else by our id (recording the wamid where none is). Per message, the
 * batch's statuses are folded first, as an UPDATE ... FROM updates each row once: the history
 * gets each status not yet in it once (the first of duplicates, in batch order), the status
 * moves to the highest rank if that is forward, taking that update's error. The rows are
 * locked in id order before any is updated, so concurrent batches over the same messages wait
 * for each other instead of deadlocking; the SET and WHERE read the row's latest version (as
 * in APPLY_STATUS), so no status is lost. Rows with nothing to change are returned unchanged.
 */
const APPLY_STATUSES = `
  WITH input AS (
    SELECT u.*, CASE u.status WHEN 'sent' THEN 1 WHEN 'delivered' THEN 2 WHEN 'read' THEN 3
                  ELSE 4 END AS rank
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::jsonb[],
                $7::jsonb[], $8::jsonb[])
      WITH ORDINALITY AS u(org_id, wamid, message_id, status, at, error, pricing, conversation, ord)
  ), matched AS (
    SELECT i.*, COALESCE(w.id, b.id) AS id, w.id IS NULL AS by_id,
           row_number() OVER (PARTITION BY COALESCE(w.id, b.id), i.status ORDER BY i.ord) AS nth
    FROM input i
    -- By wamid alone, the organization checked after (past the LIMIT, so not pushed down):
    -- with both in one WHERE and no statistics yet, the planner also scans the org's index.
    LEFT JOIN LATERAL (
      SELECT id FROM (SELECT id, org_id FROM messages WHERE wamid = i.wamid LIMIT 1) x
      WHERE x.org_id = i.org_id
    ) w ON true
    -- Not a message that gave this wamid up (131049 sent it back to the queue): a late copy of
    -- that send's statuses would else take the message for a send that did not happen.
    -- (Looked up only when the wamid found none: a NULL key finds nothing at no cost.)
    LEFT JOIN LATERAL (
      SELECT id FROM messages
      WHERE id = CASE WHEN w.id IS NULL THEN i.message_id END AND org_id = i.org_id
        AND NOT status_history @> jsonb_build_array(jsonb_build_object('wamid', i.wamid))
    ) b ON true
  ), folded AS (
    SELECT id,
           array_agg(ord) AS ords,
           max(rank) AS rank,
           (array_agg(status ORDER BY rank DESC, ord))[1] AS status,
           (array_agg(error ORDER BY rank DESC, ord))[1] AS error,
           (array_agg(wamid ORDER BY ord) FILTER (WHERE by_id))[1] AS wamid,
           (array_agg(pricing ORDER BY ord DESC) FILTER (WHERE pricing IS NOT NULL))[1] AS pricing,
           (array_agg(conversation ORDER BY ord DESC)
              FILTER (WHERE conversation IS NOT NULL))[1] AS conversation,
           jsonb_agg(CASE WHEN error IS NULL
                          THEN jsonb_build_object('status', status, 'at', at)
                          ELSE jsonb_build_object('status', status, 'at', at, 'error', error) END
                     ORDER BY ord) FILTER (WHERE nth = 1) AS entries
    FROM matched WHERE id IS NOT NULL GROUP BY id
  ), locked AS (
    SELECT ${TARGET_COLUMNS} FROM messages m JOIN folded f ON f.id = m.id
    ORDER BY m.id FOR UPDATE OF m
  ), updated AS (
    UPDATE messages m SET
      wamid = COALESCE(m.wamid, f.wamid),
      status_history = m.status_history || COALESCE((
        SELECT jsonb_agg(e ORDER BY n) FROM jsonb_array_elements(f.entries) WITH ORDINALITY x(e, n)
        WHERE NOT m.status_history @> jsonb_build_array(jsonb_build_object('status', e->'status'))
      ), '[]'::jsonb),
      status = CASE WHEN m.status_rank < f.rank THEN f.status ELSE m.status END,
      error = CASE WHEN m.status_rank < f.rank AND f.error IS NOT NULL THEN f.error ELSE m.error END,
      pricing = COALESCE(f.pricing, m.pricing),
      conversation = COALESCE(f.conversation, m.conversation),
      updated_at = CASE WHEN m.status_rank < f.rank OR (m.wamid IS NULL AND f.wamid IS NOT NULL)
                        THEN now() ELSE m.updated_at END
    FROM folded f, locked l
    WHERE m.id = f.id AND l.id = f.id AND (
      m.status_rank < f.rank
      OR (m.wamid IS NULL AND f.wamid IS NOT NULL)
      OR (f.pricing IS NOT NULL AND m.pricing IS DISTINCT FROM f.pricing)
      OR (f.conversation IS NOT NULL AND m.conversation IS DISTINCT FROM f.conversation)
      OR EXISTS (
        SELECT 1 FROM jsonb_array_elements(f.entries) e
        WHERE NOT m.status_history @> jsonb_build_array(jsonb_build_object('status', e->'status'))
      )
    )
    RETURNING ${TARGET_COLUMNS}, f.ords
  )
  SELECT * FROM updated
  UNION ALL
  SELECT l.*, f.ords FROM locked l JOIN folded f ON f.id = l.id
  WHERE NOT EXISTS (SELECT 1 FROM updated u WHERE u.id = l.id)`;

async function applyStatuses(pool: pg.Pool, updates: StatusUpdate[]) {
  const found: (StatusTarget | null)[] = updates.map(() => null);
  if (!updates.length) return found;
  // Named: each connection plans it once, not at every batch.
  const res = await pool.query({
    name: 'apply-statuses',
    text: APPLY_STATUSES,
    values: [
      updates.map((u) => u.orgId),
      updates.map((u) => u.wamid),
      updates.map((u) => u.messageId),
      updates.map((u) => u.status),
      updates.map((u) => u.at.toISOString()),
      updates.map((u) => (u.error ? json(u.error) : null)),
      updates.map((u) => (u.pricing ? json(u.pricing) : null)),
      updates.map((u) => (u.conversation ? json(u.conversation) : null)),
    ],
  });
  for (const { ords, id, ...rest } of res.rows as (Omit<StatusTarget, '_id'> & {
    id: string;
    ords: string[];
  })[]) {
    const target = { _id: id, ...rest };
    for (const ord of ords) found[Number(ord) - 1] = target;
  }
  return found;
}

/** Messages that count against the messaging limit (see MessageRepository); `$1` accounts, `$2` since. */
const BUSINESS_INITIATED = `
  account_id = ANY($1::text[]) AND direction = 'outbound' AND type = 'template'
  AND created_at > $2 AND status <> 'failed'
  AND (pricing IS NULL OR pricing->>'type' IS DISTINCT FROM '${FREE_IN_WINDOW}')`;

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

    applyStatuses: (updates) => applyStatuses(pool, updates),

    async businessInitiatedReach(accountIds, since) {
      const res = await pool.query<{ users: number; oldest: Date | null }>(
        `SELECT count(DISTINCT contact_id)::int AS users, min(created_at) AS oldest
         FROM messages WHERE ${BUSINESS_INITIATED}`,
        [accountIds, since],
      );
      return { users: res.rows[0]?.users ?? 0, oldest: res.rows[0]?.oldest ?? null };
    },

    async reachedAmong(accountIds, since, contactIds) {
      if (!contactIds.length) return [];
      const res = await pool.query<{ contact_id: string }>(
        `SELECT DISTINCT contact_id FROM messages
         WHERE ${BUSINESS_INITIATED} AND contact_id = ANY($3::text[])`,
        [accountIds, since, contactIds],
      );
      return res.rows.map((r) => r.contact_id);
    },

    async lastSentAt(orgId, contactId, origin, originId) {
      // The contact's messages newest first (messages_org_contact_created) up to the first match.
      const res = await pool.query<{ created_at: Date }>(
        `SELECT created_at FROM messages
         WHERE org_id = $1 AND contact_id = $2 AND direction = 'outbound' AND origin = $3
           AND origin_id = $4 AND status <> 'failed'
         ORDER BY created_at DESC, id DESC LIMIT 1`,
        [orgId, contactId, origin, originId],
      );
      return res.rows[0]?.created_at ?? null;
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

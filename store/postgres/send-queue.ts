import type pg from 'pg';
import type {
  ClaimedSend,
  DeferredSent,
  SendClass,
  SendOutcome,
  SendQueueEntry,
  SendQueueRepository,
} from '../contract/send-queue';
import type { EventDoc, MessageDoc } from '../documents';
import type { EventFeed } from '../event-feed';
import { BULK_ORIGINS, DEFERRABLE_STATUSES, newMessageDoc, STATUS_RANK } from '../messages';
import { insertValues, json, transaction, type Queryable, type Row } from './db';
import { eventParams, insertEvents, insertEventsFrom } from './events';
import { COLUMNS, JSON_COLUMNS, toMessage } from './messages';

/** Messages per statement: 17 parameters each, well under PostgreSQL's 65,535. */
const CHUNK = 2_000;

const PRIORITY: Record<SendClass, number> = { transactional: 0, bulk: 1 };
const CLASS_OF: SendClass[] = ['transactional', 'bulk'];

const ENTRY_COLUMNS = [
  'message_id',
  'account_id',
  'priority',
  'not_before',
  'owner',
  'lease_until',
  'claims',
  'held',
  'retrying',
  'created_at',
];

/** An entry from its columns, named as in the table or (in a claim's rows) prefixed `q_`. */
function toEntry(row: Row, prefix = ''): SendQueueEntry {
  return {
    message_id: row[`${prefix}message_id`] as string,
    account_id: row[`${prefix}account_id`] as string,
    class: CLASS_OF[row[`${prefix}priority`] as number]!,
    not_before: row[`${prefix}not_before`] as Date,
    owner: row[`${prefix}owner`] as string | null,
    lease_until: row[`${prefix}lease_until`] as Date | null,
    claims: row[`${prefix}claims`] as number,
    held: row[`${prefix}held`] as boolean,
    retrying: row[`${prefix}retrying`] as boolean,
    created_at: row[`${prefix}created_at`] as Date,
  };
}

/** A claimed row: the entry's columns prefixed `q_`, then the message's. */
function toClaimed(row: Row): ClaimedSend {
  return { message: toMessage(row), entry: toEntry(row, 'q_') };
}

const CLAIM = `
  WITH c AS (
    UPDATE send_queue SET owner = $2,
      lease_until = now() + $4::double precision * interval '1 millisecond',
      claims = claims + 1
    WHERE message_id IN (
      SELECT message_id FROM send_queue
      WHERE account_id = $1 AND NOT held AND not_before <= now()
        AND (lease_until IS NULL OR lease_until < now())
      ORDER BY priority, seq LIMIT $3
      FOR UPDATE SKIP LOCKED)
    RETURNING *)
  SELECT ${ENTRY_COLUMNS.map((c) => `c.${c} AS q_${c}`).join(', ')}, m.*
  FROM c JOIN messages m ON m.id = c.message_id
  ORDER BY c.priority, c.seq`;

/**
 * Accounts with an entry due now, those whose first due entry comes first in claim order
 * first. A loose index scan over send_queue_claim finds each account in one probe, so the
 * cost follows the number of accounts, not the length of their queues.
 */
const DUE_ACCOUNTS = `
  WITH RECURSIVE accounts AS (
    (SELECT account_id FROM send_queue WHERE NOT held ORDER BY account_id LIMIT 1)
    UNION ALL
    SELECT (SELECT q.account_id FROM send_queue q
            WHERE NOT q.held AND q.account_id > a.account_id
            ORDER BY q.account_id LIMIT 1)
    FROM accounts a WHERE a.account_id IS NOT NULL)
  SELECT a.account_id FROM accounts a
  CROSS JOIN LATERAL (
    SELECT q.priority, q.seq FROM send_queue q
    WHERE q.account_id = a.account_id AND NOT q.held AND q.not_before <= now()
      AND (q.lease_until IS NULL OR q.lease_until < now())
    ORDER BY q.priority, q.seq LIMIT 1) d
  ORDER BY d.priority, d.seq
  LIMIT $1`;

/**
 * Sends answered (`sent` or `failed`), in one statement: the messages locked in id order (as
 * status batches lock them) and updated as APPLY_STATUS in messages.ts does, one row of `s` per
 * message (the history gets the status once, the status moves only forward, taking the error
 * with it, and a wamid already recorded is kept); their entries deleted and their events
 * recorded. Returns the ids of the events recorded now. The usual settle is this alone: one
 * round trip.
 */
const SETTLE_FINALS = `
  WITH s AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::smallint[], $4::text[], $5::jsonb[],
                         $6::jsonb[], $7::jsonb[])
      AS s(s_id, s_status, s_rank, s_wamid, s_entry, s_probe, s_error)
  ), locked AS (
    SELECT id FROM messages WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE
  ), settled AS (
    UPDATE messages SET
      wamid = COALESCE(wamid, s.s_wamid),
      status_history = CASE WHEN status_history @> s.s_probe THEN status_history
                            ELSE status_history || s.s_entry END,
      status = CASE WHEN status_rank < s.s_rank THEN s.s_status ELSE status END,
      error = CASE WHEN status_rank < s.s_rank AND s.s_error IS NOT NULL THEN s.s_error
                   ELSE error END,
      updated_at = CASE WHEN status_rank < s.s_rank THEN now() ELSE updated_at END
    FROM s, locked l
    WHERE messages.id = s.s_id AND l.id = s.s_id
      AND (status_rank < s.s_rank OR NOT status_history @> s.s_probe
           OR (wamid IS NULL AND s.s_wamid IS NOT NULL))
    RETURNING 1
  ), dequeued AS (
    DELETE FROM send_queue WHERE message_id = ANY($1::text[]) RETURNING 1
  )
  ${insertEventsFrom(8)}`;

/**
 * `deferSent` in one statement: the messages still under the statuses' wamids, locked in id
 * order (as status batches lock them), go back to `queued` and deferred, their wamid cleared
 * and kept in a `deferred` history entry, their queue entry (re)made held; the UPDATE's WHERE
 * is read on the row's latest version, so two batches never defer one message twice. Then the
 * messages an earlier copy of a status deferred, found by our id and that history entry.
 */
const DEFER_SENT = `
  WITH input AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::jsonb[],
                         $6::timestamptz[]) AS u(org_id, wamid, message_id, at, reason, until)
  ), target AS (
    SELECT DISTINCT ON (m.id) m.id, i.wamid, i.at, i.reason, i.until
    FROM input i JOIN messages m ON m.wamid = i.wamid AND m.org_id = i.org_id
    WHERE m.status = ANY($7::text[])
    ORDER BY m.id
  ), locked AS (
    SELECT m.id FROM messages m JOIN target t ON t.id = m.id ORDER BY m.id FOR UPDATE OF m
  ), deferred AS (
    UPDATE messages m SET status = 'queued', wamid = NULL,
      deferred = jsonb_build_object('until', t.until, 'reason', t.reason),
      status_history = m.status_history || jsonb_build_array(jsonb_build_object(
        'status', 'deferred', 'at', t.at, 'error', t.reason, 'wamid', t.wamid)),
      updated_at = now()
    FROM target t, locked l
    WHERE m.id = t.id AND l.id = t.id AND m.wamid = t.wamid AND m.status = ANY($7::text[])
    RETURNING m.*, t.wamid AS given_up
  ), requeued AS (
    INSERT INTO send_queue (message_id, account_id, priority, not_before, held, retrying,
                            created_at)
    SELECT id, account_id, CASE WHEN origin = ANY($8::text[]) THEN 1 ELSE 0 END, now(), true,
           true, now()
    FROM deferred
    ON CONFLICT (message_id) DO UPDATE SET held = true, retrying = true, owner = NULL,
      lease_until = NULL
  )
  SELECT d.*, true AS fresh FROM deferred d
  UNION ALL
  SELECT m.*, i.wamid AS given_up, false AS fresh
  FROM input i JOIN messages m ON m.id = i.message_id AND m.org_id = i.org_id
  WHERE m.status_history @> jsonb_build_array(
    jsonb_build_object('status', 'deferred', 'wamid', i.wamid))
  UNION ALL
  SELECT m.*, i.wamid AS given_up, NULL AS fresh
  FROM input i JOIN messages m ON m.id = i.message_id AND m.org_id = i.org_id
  WHERE m.wamid IS NULL AND m.status = 'queued'
    AND NOT m.status_history @> jsonb_build_array(jsonb_build_object('wamid', i.wamid))`;

type Final = Extract<SendOutcome, { kind: 'sent' | 'failed' }>;

/** SETTLE_FINALS: the finals settled and the events recorded; those recorded now. */
async function settleFinals(db: Queryable, finals: Final[], events: EventDoc[]) {
  const res = await db.query<{ id: string }>({
    name: 'settle-finals',
    text: SETTLE_FINALS,
    values: [...finalParams(finals), ...eventParams(events)],
  });
  const ids = new Set(res.rows.map((r) => r.id));
  return events.filter((e) => ids.has(e._id));
}

function finalParams(finals: Final[]): unknown[] {
  const columns: unknown[][] = [[], [], [], [], [], [], []];
  for (const o of finals) {
    const status = o.kind;
    const error = o.kind === 'failed' ? o.reason : null;
    const row = [
      o.id,
      status,
      STATUS_RANK[status],
      o.kind === 'sent' ? o.wamid : null,
      json([error ? { status, at: o.at, error } : { status, at: o.at }]),
      json([{ status }]),
      error ? json(error) : null,
    ];
    row.forEach((value, i) => columns[i]!.push(value));
  }
  return columns;
}

/** One outcome per message, the first given; sorted by id, the order rows are locked in. */
function byMessage(outcomes: SendOutcome[]): SendOutcome[] {
  const first = new Map<string, SendOutcome>();
  for (const o of outcomes) if (!first.has(o.id)) first.set(o.id, o);
  return [...first.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * Outbound messages waiting for their number's dispatcher. A message and its entry are written
 * in one statement; claims lock rows with SKIP LOCKED, so concurrent claimers never share one.
 */
export function sendQueueRepository(pool: pg.Pool, feed: EventFeed): SendQueueRepository {
  /** Inserts the messages not stored yet with their entries; returns the ids inserted. */
  async function insertChunk(docs: MessageDoc[], cls: SendClass, at: Date): Promise<Set<string>> {
    const { text, values } = insertValues(
      'messages',
      COLUMNS,
      docs.map((d) => ({ ...d })),
      JSON_COLUMNS,
    );
    const n = values.length;
    // Entries take their seq in the order given: a campaign's messages go out in its order.
    const res = await pool.query<{ message_id: string }>(
      `WITH m AS (${text} ON CONFLICT (id) DO NOTHING RETURNING id, account_id)
       INSERT INTO send_queue (message_id, account_id, priority, not_before, created_at)
       SELECT m.id, m.account_id, $${n + 1}, LEAST($${n + 2}::timestamptz, now()), $${n + 2}
       FROM m JOIN unnest($${n + 3}::text[]) WITH ORDINALITY AS o(id, ord) ON o.id = m.id
       ORDER BY o.ord
       RETURNING message_id`,
      [...values, PRIORITY[cls], at, docs.map((d) => d._id)],
    );
    return new Set(res.rows.map((r) => r.message_id));
  }

  return {
    async enqueue(messages, cls, at = new Date()) {
      const docs = new Map<string, MessageDoc>();
      for (const m of messages) {
        if (!docs.has(m._id)) docs.set(m._id, newMessageDoc({ ...m, status: 'queued' }, at));
      }
      const all = [...docs.values()];
      const created = new Set<string>();
      for (let i = 0; i < all.length; i += CHUNK) {
        for (const id of await insertChunk(all.slice(i, i + CHUNK), cls, at)) created.add(id);
      }
      const others = all.filter((d) => !created.has(d._id)).map((d) => d._id);
      if (others.length) {
        const res = await pool.query('SELECT * FROM messages WHERE id = ANY($1::text[])', [others]);
        const read = (res.rows as Row[]).map(toMessage);
        for (const doc of read) docs.set(doc._id, doc);
        if (read.length < others.length) {
          const found = new Set(read.map((d) => d._id));
          const lost = others.find((id) => !found.has(id));
          throw new Error(`Message ${lost} conflicted but cannot be read`);
        }
      }
      const answered = new Set<string>();
      return messages.map((m) => {
        const first = !answered.has(m._id);
        answered.add(m._id);
        return { doc: docs.get(m._id)!, created: first && created.has(m._id) };
      });
    },

    async claim(accountId, owner, { limit, leaseMs }) {
      if (limit <= 0) return [];
      const res = await pool.query({
        name: 'claim-sends',
        text: CLAIM,
        values: [accountId, owner, limit, leaseMs],
      });
      return res.rows.map((r) => toClaimed(r as Row));
    },

    async settle(owner, outcomes, events) {
      const unique = byMessage(outcomes);
      const finals = unique.filter((o): o is Final => o.kind === 'sent' || o.kind === 'failed');
      const later = unique.filter((o) => o.kind === 'later');
      const deferred = unique.filter((o) => o.kind === 'deferred');
      const held = unique
        .filter((o) => o.kind === 'held' || o.kind === 'deferred')
        .map((o) => o.id);
      if (!unique.length && !events.length) return;
      if (finals.length === unique.length && finals.length) {
        feed.publish(await settleFinals(pool, finals, events));
        return;
      }
      let recorded: EventDoc[] = [];
      await transaction(pool, async (client) => {
        if (later.length) {
          await client.query(
            `UPDATE send_queue SET owner = NULL, lease_until = NULL, claims = 0,
               not_before = s.not_before
             FROM unnest($2::text[], $3::timestamptz[]) AS s(id, not_before)
             WHERE message_id = s.id AND owner = $1`,
            [owner, later.map((o) => o.id), later.map((o) => o.notBefore)],
          );
        }
        if (held.length) {
          await client.query(
            `UPDATE send_queue SET held = true, retrying = true, owner = NULL, lease_until = NULL
             WHERE message_id = ANY($2::text[]) AND owner = $1`,
            [owner, held],
          );
        }
        if (deferred.length) {
          await client.query(
            `UPDATE messages SET deferred = s.deferred, updated_at = now()
             FROM unnest($1::text[], $2::jsonb[]) AS s(id, deferred)
             WHERE messages.id = s.id AND status = 'queued'`,
            [
              deferred.map((o) => o.id),
              deferred.map((o) => json({ until: o.until, reason: o.reason })),
            ],
          );
        }
        recorded = finals.length
          ? await settleFinals(client, finals, events)
          : await insertEvents(client, events);
      });
      feed.publish(recorded);
    },

    async deferSent(statuses) {
      if (!statuses.length) return [];
      const res = await pool.query(DEFER_SENT, [
        statuses.map((s) => s.orgId),
        statuses.map((s) => s.wamid),
        statuses.map((s) => s.messageId),
        statuses.map((s) => s.at),
        statuses.map((s) => json(s.reason)),
        statuses.map((s) => s.until),
        DEFERRABLE_STATUSES,
        BULK_ORIGINS,
      ]);
      const byWamid = new Map<string, DeferredSent | 'ahead'>();
      for (const row of res.rows as Row[]) {
        const { given_up, fresh, ...message } = row;
        const key = given_up as string;
        const found = byWamid.get(key);
        // A status deferring its message now wins over a copy that found it deferred.
        if (found !== undefined && (found === 'ahead' || found.fresh)) continue;
        byWamid.set(
          key,
          fresh === null ? 'ahead' : { message: toMessage(message), fresh: fresh as boolean },
        );
      }
      return statuses.map((s) => byWamid.get(s.wamid) ?? null);
    },

    async release(id, notBefore) {
      // Only a held entry: one claimed meanwhile keeps its owner and lease.
      const res = await pool.query<{ found: boolean }>(
        `WITH u AS (
           UPDATE send_queue SET held = false, claims = 0, not_before = $2,
             owner = NULL, lease_until = NULL
           WHERE message_id = $1 AND held RETURNING 1),
         d AS (UPDATE messages SET deferred = NULL
           WHERE id = $1 AND deferred IS NOT NULL AND EXISTS (SELECT 1 FROM u))
         SELECT EXISTS (SELECT 1 FROM u)
           OR EXISTS (SELECT 1 FROM send_queue WHERE message_id = $1) AS found`,
        [id, notBefore],
      );
      return res.rows[0]!.found;
    },

    async entry(id) {
      const res = await pool.query('SELECT * FROM send_queue WHERE message_id = $1', [id]);
      return res.rows[0] ? toEntry(res.rows[0] as Row) : null;
    },

    async dueAccounts(limit) {
      const res = await pool.query<{ account_id: string }>(DUE_ACCOUNTS, [limit]);
      return res.rows.map((r) => r.account_id);
    },

    async depths(accountIds) {
      const named = accountIds !== undefined;
      const scope = named ? 'AND account_id = ANY($1::text[])' : '';
      // Two halves so that each is served by its partial index (send_queue_claim, _held).
      const res = await pool.query<{ account_id: string; priority: number; n: number }>(
        `SELECT account_id, priority, count(*) AS n FROM send_queue
         WHERE NOT held ${scope} GROUP BY account_id, priority
         UNION ALL
         SELECT account_id, priority, count(*) AS n FROM send_queue
         WHERE held ${scope} GROUP BY account_id, priority`,
        named ? [accountIds] : [],
      );
      const depths = new Map<string, Record<SendClass, number>>();
      for (const id of accountIds ?? []) depths.set(id, { transactional: 0, bulk: 0 });
      for (const r of res.rows) {
        let d = depths.get(r.account_id);
        if (!d) depths.set(r.account_id, (d = { transactional: 0, bulk: 0 }));
        d[CLASS_OF[r.priority]!] += r.n;
      }
      return depths;
    },
  };
}

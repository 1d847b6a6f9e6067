import type pg from 'pg';
import { isTimezone } from '../../lib/delivery-schedule';
import type {
  SubscribeResult,
  SubscriptionDoc,
  SubscriptionRepository,
  SubscriptionState,
} from '../contract/sequences';
import { emptyCounts, subscriptionId } from '../sequences';
import { json, type Row } from './db';

const COLUMNS = [
  'sequence_id',
  'contact_id',
  'org_id',
  'phone_number',
  'run',
  'version',
  'state',
  'step',
  'next_step_at',
  'exit_reason',
  'exit_tags',
  'exit_on_reply',
  'timezone',
  'source',
  'history',
  'subscribed_at',
  'started_at',
  'ended_at',
  'updated_at',
];
const SELECT = COLUMNS.join(', ');
const RUNNING = `state IN ('pending', 'active')`;

/** When the re-entry rule lets a stored run (`s`) be replaced by a new one. */
const REENTRY = {
  never: 'false',
  after_completion: `s.state IN ('completed', 'exited')`,
  always: 'true',
} as const;

function toDoc(row: Row): SubscriptionDoc {
  const doc = row as unknown as SubscriptionDoc;
  return {
    ...doc,
    _id: subscriptionId(doc.sequence_id, doc.contact_id),
    history: (doc.history ?? []).map((h) => ({ ...h, at: new Date(h.at) })),
  };
}

export function subscriptionRepository(pool: pg.Pool): SubscriptionRepository {
  const rows = async (text: string, values: unknown[]) =>
    (await pool.query(text, values)).rows.map((r) => toDoc(r as Row));

  return {
    async subscribe(seq, contactIds, source, at = new Date()) {
      const ids = [...new Set(contactIds)];
      const { rows: contacts } = await pool.query<{
        id: string;
        phone_number: string | null;
        opted_in: boolean;
        timezone: string | null;
      }>(
        `SELECT id, phone_number, opted_in, custom_fields->>'timezone' AS timezone
         FROM contacts WHERE org_id = $1 AND id = ANY($2)`,
        [seq.org_id, ids],
      );
      const found = new Map(contacts.map((c) => [c.id, c]));
      const eligible = contacts.filter((c) => c.opted_in);
      const { rows: written } = await pool.query<{
        contact_id: string;
        run: number;
        previous: SubscriptionState | null;
      }>(
        `WITH previous AS (
           SELECT contact_id, state FROM sequence_subscriptions
           WHERE sequence_id = $1 AND contact_id = ANY($8)
         ), written AS (
         INSERT INTO sequence_subscriptions AS s (${SELECT})
         SELECT $1, c.id, $2, c.phone, 1, $3, 'pending', 0, NULL, NULL, $4, $5, c.tz, $6,
                '[]'::jsonb, $7, NULL, NULL, $7
         FROM unnest($8::text[], $9::text[], $10::text[]) AS c(id, phone, tz)
         ON CONFLICT (sequence_id, contact_id) DO UPDATE SET
           run = s.run + 1, version = EXCLUDED.version, state = 'pending', step = 0,
           next_step_at = NULL, exit_reason = NULL, exit_tags = EXCLUDED.exit_tags,
           exit_on_reply = EXCLUDED.exit_on_reply, timezone = EXCLUDED.timezone,
           source = EXCLUDED.source, history = '[]'::jsonb, subscribed_at = EXCLUDED.subscribed_at,
           started_at = NULL, ended_at = NULL, updated_at = EXCLUDED.updated_at
         WHERE ${REENTRY[seq.reentry]}
         RETURNING contact_id, run)
         SELECT w.contact_id, w.run, p.state AS previous
         FROM written w LEFT JOIN previous p USING (contact_id)`,
        [
          seq._id,
          seq.org_id,
          seq.version,
          seq.exit.tags,
          seq.exit.on_reply,
          source,
          at,
          eligible.map((c) => c.id),
          eligible.map((c) => c.phone_number),
          eligible.map((c) => (isTimezone(c.timezone) ? c.timezone : null)),
        ],
      );
      const done = new Map(written.map((w) => [w.contact_id, w]));
      return ids.map((id): SubscribeResult => {
        const contact = found.get(id);
        if (!contact) return { contact_id: id, outcome: 'contact_not_found', run: null };
        if (!contact.opted_in) return { contact_id: id, outcome: 'opted_out', run: null };
        const w = done.get(id);
        if (!w) return { contact_id: id, outcome: 'already_subscribed', run: null };
        return {
          contact_id: id,
          outcome: w.previous === 'pending' || w.previous === 'active' ? 'restarted' : 'subscribed',
          run: w.run,
        };
      });
    },

    async get(sequenceId, contactId) {
      const [doc] = await rows(
        `SELECT ${SELECT} FROM sequence_subscriptions WHERE sequence_id = $1 AND contact_id = $2`,
        [sequenceId, contactId],
      );
      return doc ?? null;
    },

    list(sequenceId, { limit, state, after }) {
      const values: unknown[] = [sequenceId, limit];
      const where = ['sequence_id = $1'];
      if (state) where.push(`state = $${values.push(state)}`);
      if (after) where.push(`contact_id > $${values.push(after)}`);
      return rows(
        `SELECT ${SELECT} FROM sequence_subscriptions WHERE ${where.join(' AND ')}
         ORDER BY contact_id LIMIT $2`,
        values,
      );
    },

    async counts(sequenceId) {
      const { rows: found } = await pool.query<{ state: SubscriptionState; n: number }>(
        `SELECT state, count(*) AS n FROM sequence_subscriptions WHERE sequence_id = $1
         GROUP BY state`,
        [sequenceId],
      );
      const counts = emptyCounts();
      for (const r of found) counts[r.state] = r.n;
      return counts;
    },

    pendingStart(limit, before) {
      return rows(
        `SELECT ${SELECT} FROM sequence_subscriptions
         WHERE state = 'pending' AND subscribed_at < $2 ORDER BY subscribed_at LIMIT $1`,
        [limit, before ?? new Date('9999-01-01')],
      );
    },

    async markStarted(started, at = new Date()) {
      if (!started.length) return;
      await pool.query(
        `UPDATE sequence_subscriptions s SET state = 'active',
           started_at = COALESCE(s.started_at, $1),
           next_step_at = CASE WHEN s.step = 0 AND s.next_step_at IS NULL THEN u.next_at
                          ELSE s.next_step_at END,
           updated_at = $1
         FROM unnest($2::text[], $3::text[], $4::int[], $5::timestamptz[])
           AS u(sequence_id, contact_id, run, next_at)
         WHERE s.sequence_id = u.sequence_id AND s.contact_id = u.contact_id
           AND s.run = u.run AND s.state = 'pending'`,
        [
          at,
          started.map((s) => s.sequence_id),
          started.map((s) => s.contact_id),
          started.map((s) => s.run),
          started.map((s) => s.next_step_at),
        ],
      );
    },

    async advance(id, { from, to, nextAt, record }) {
      const res = await pool.query(
        `UPDATE sequence_subscriptions SET state = 'active', step = $5, next_step_at = $6,
           started_at = COALESCE(started_at, now()),
           history = CASE WHEN $7::jsonb IS NULL THEN history ELSE history || $7::jsonb END,
           updated_at = now()
         WHERE sequence_id = $1 AND contact_id = $2 AND run = $3 AND step = $4 AND ${RUNNING}`,
        [id.sequence_id, id.contact_id, id.run, from, to, nextAt, record ? json([record]) : null],
      );
      return res.rowCount === 1;
    },

    async end(id, state, reason, record, at = new Date()) {
      const res = await pool.query(
        `UPDATE sequence_subscriptions SET state = $4, exit_reason = $5, next_step_at = NULL,
           step = step + $6, ended_at = $7, updated_at = $7,
           history = CASE WHEN $8::jsonb IS NULL THEN history ELSE history || $8::jsonb END
         WHERE sequence_id = $1 AND contact_id = $2 AND run = $3 AND ${RUNNING}`,
        [
          id.sequence_id,
          id.contact_id,
          id.run,
          state,
          reason,
          record ? 1 : 0,
          at,
          record ? json([record]) : null,
        ],
      );
      return res.rowCount === 1;
    },

    async exit(match, reason, at = new Date()) {
      const values: unknown[] = [match.orgId, reason, at];
      const where = ['org_id = $1', RUNNING];
      if (match.sequenceId) where.push(`sequence_id = $${values.push(match.sequenceId)}`);
      if (match.contactIds) where.push(`contact_id = ANY($${values.push(match.contactIds)})`);
      if (match.onReply) where.push('exit_on_reply');
      if (match.tags) where.push(`exit_tags && $${values.push(match.tags)}::text[]`);
      const { rows: ended } = await pool.query<{
        sequence_id: string;
        contact_id: string;
        run: number;
      }>(
        `UPDATE sequence_subscriptions SET state = 'exited', exit_reason = $2,
           next_step_at = NULL, ended_at = $3, updated_at = $3
         WHERE ${where.join(' AND ')} RETURNING sequence_id, contact_id, run`,
        values,
      );
      return ended;
    },
  };
}

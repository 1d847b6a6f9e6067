import type pg from 'pg';
import {
  audienceFilter,
  CAMPAIGN_PATCH_FIELDS,
  campaignCounts,
  isMessageStatus,
  newCampaign,
  recipientState,
} from '../campaigns';
import type { CampaignRepository, RecipientState, RecipientView } from '../contract/campaigns';
import type {
  CampaignDoc,
  CampaignRecipientDoc,
  ContactDoc,
  MessageStatus,
  RecipientSnapshotState,
} from '../documents';
import { audienceQuery } from './audience';
import { COLUMNS as CONTACT_COLUMNS } from './contacts';
import { fromRow, insertValues, many, one, transaction, type Queryable, type Row } from './db';

const COLUMNS = [
  'id',
  'org_id',
  'account_id',
  'name',
  'audience',
  'message',
  'mode',
  'scheduled_at',
  'throughput',
  'status',
  'total',
  'error',
  'pause_reason',
  'request_hash',
  'created_at',
  'started_at',
  'completed_at',
  'updated_at',
];
const JSON_COLUMNS = ['audience', 'message', 'pause_reason'];
const SELECT = COLUMNS.join(', ');

const RECIPIENT_COLUMNS = [
  'campaign_id',
  'contact_id',
  'seq',
  'phone_number',
  'state',
  'message_id',
  'reason',
];

/** Every recipient, in send order: the contacts the audience matches, as they are now. */
const SNAPSHOT = (audience: string) => `
  INSERT INTO campaign_recipients (campaign_id, contact_id, seq, phone_number, state)
  SELECT $1, a.id, row_number() OVER (ORDER BY a.created_at, a.id), a.phone_number, 'pending'
  FROM (${audience}) a`;

const RECIPIENT_COUNT = 'SELECT count(*) AS n FROM campaign_recipients WHERE campaign_id = $1';

/** A recipient row joined with its contact's columns, prefixed `c_` (null once deleted). */
const NEXT_RECIPIENTS = `
  SELECT ${RECIPIENT_COLUMNS.map((c) => `r.${c}`).join(', ')},
         ${CONTACT_COLUMNS.map((c) => `c.${c} AS c_${c}`).join(', ')}
  FROM campaign_recipients r LEFT JOIN contacts c ON c.id = r.contact_id
  WHERE r.campaign_id = $1 AND r.state = 'pending' AND r.seq > $2
  ORDER BY r.seq LIMIT $3`;

/** What a recipient shows: queued ones by their message's status. */
const SHOWN_STATE = `CASE WHEN r.state <> 'queued' THEN r.state
  WHEN m.status = 'queued' AND m.deferred IS NOT NULL THEN 'deferred'
  ELSE COALESCE(m.status, 'queued') END`;

function splitContact(row: Row): { recipient: CampaignRecipientDoc; contact: ContactDoc | null } {
  const recipient: Row = {};
  const contact: Row = {};
  for (const [key, value] of Object.entries(row)) {
    if (key.startsWith('c_')) contact[key.slice(2)] = value;
    else recipient[key] = value;
  }
  return {
    recipient: recipient as unknown as CampaignRecipientDoc,
    contact: contact.id === null ? null : fromRow<ContactDoc>(contact),
  };
}

function deferredUntil(status: unknown, deferred: unknown): Date | null {
  const until = (deferred as { until?: string } | null)?.until;
  return status === 'queued' && until ? new Date(until) : null;
}

function toView(row: Row): RecipientView {
  return {
    contact_id: row.contact_id as string,
    seq: row.seq as number,
    phone_number: row.phone_number as string,
    state: recipientState(
      row.state as RecipientSnapshotState,
      row.message_status as MessageStatus | null,
      row.deferred !== null && row.deferred !== undefined,
    ),
    message_id: row.message_id as string | null,
    wamid: (row.wamid as string | null) ?? null,
    error:
      (row.error as RecipientView['error']) ??
      (row.message_status === 'queued'
        ? (row.deferred as { reason?: RecipientView['error'] } | null)?.reason
        : null) ??
      null,
    reason: row.reason as string | null,
    deferred_until: deferredUntil(row.message_status, row.deferred),
    pricing: (row.pricing as RecipientView['pricing']) ?? null,
  };
}

export function campaignRepository(pool: pg.Pool): CampaignRepository {
  const count = async (text: string, values: unknown[], db: Queryable = pool) =>
    (await db.query<{ n: number }>(text, values)).rows[0]!.n;

  return {
    async create(orgId, input) {
      const doc = newCampaign(orgId, input);
      const { text, values } = insertValues('campaigns', COLUMNS, [{ ...doc }], JSON_COLUMNS);
      const res = await pool.query(`${text} ON CONFLICT (id) DO NOTHING`, values);
      if (res.rowCount) return { doc, created: true };
      const stored = await one<CampaignDoc>(pool, `SELECT ${SELECT} FROM campaigns WHERE id = $1`, [
        doc._id,
      ]);
      return { doc: stored!, created: false };
    },

    get: (orgId, id) =>
      one<CampaignDoc>(pool, `SELECT ${SELECT} FROM campaigns WHERE id = $1 AND org_id = $2`, [
        id,
        orgId,
      ]),

    byId: (id) => one<CampaignDoc>(pool, `SELECT ${SELECT} FROM campaigns WHERE id = $1`, [id]),

    running: (accountIds) =>
      many<CampaignDoc>(
        pool,
        `SELECT ${SELECT} FROM campaigns WHERE status = 'running' AND account_id = ANY($1::text[])`,
        [accountIds],
      ),

    list(orgId, { limit, before }) {
      const values: unknown[] = [orgId, limit];
      let cursor = '';
      if (before) {
        values.push(before.created_at, before.id);
        cursor = 'AND (created_at, id) < ($3, $4)';
      }
      return many<CampaignDoc>(
        pool,
        `SELECT ${SELECT} FROM campaigns WHERE org_id = $1 ${cursor}
         ORDER BY created_at DESC, id DESC LIMIT $2`,
        values,
      );
    },

    update(id, patch) {
      const fields = CAMPAIGN_PATCH_FIELDS.filter((f) => patch[f] !== undefined);
      const assignments = fields.map((f, i) => `${f} = $${i + 2}`);
      return one<CampaignDoc>(
        pool,
        `UPDATE campaigns SET ${[...assignments, 'updated_at = now()'].join(', ')}
         WHERE id = $1 RETURNING ${SELECT}`,
        [id, ...fields.map((f) => patch[f])],
      );
    },

    async audienceSize(orgId, audience) {
      const filter = audienceFilter(audience);
      if (!filter) return 0;
      const values: unknown[] = [];
      return count(
        `SELECT count(*) AS n FROM (${audienceQuery(orgId, filter, values, 'phone_number')}) a`,
        values,
      );
    },

    async audienceSample(orgId, audience, limit) {
      const filter = audienceFilter(audience);
      if (!filter) return [];
      const values: unknown[] = [];
      const matched = audienceQuery(orgId, filter, values, '*');
      values.push(limit);
      return many<ContactDoc>(
        pool,
        `SELECT * FROM (${matched}) a ORDER BY created_at, id LIMIT $${values.length}`,
        values,
      );
    },

    async snapshot(campaign) {
      const filter = audienceFilter(campaign.audience);
      return transaction(pool, async (client) => {
        // Snapshots of one campaign wait for each other: the second finds the first's mark.
        const locked = await client.query<{ snapshot_at: Date | null }>(
          'SELECT snapshot_at FROM campaigns WHERE id = $1 FOR UPDATE',
          [campaign._id],
        );
        if (!locked.rowCount) throw new Error(`Campaign ${campaign._id} not found`);
        if (locked.rows[0]!.snapshot_at) return count(RECIPIENT_COUNT, [campaign._id], client);
        let written = 0;
        if (filter) {
          const values: unknown[] = [campaign._id];
          const matched = audienceQuery(
            campaign.org_id,
            filter,
            values,
            'id, phone_number, created_at',
          );
          written = (await client.query(SNAPSHOT(matched), values)).rowCount ?? 0;
        }
        await client.query('UPDATE campaigns SET snapshot_at = now() WHERE id = $1', [
          campaign._id,
        ]);
        return written;
      });
    },

    async nextRecipients(campaignId, afterSeq, limit) {
      const res = await pool.query(NEXT_RECIPIENTS, [campaignId, afterSeq, limit]);
      return res.rows.map((r) => splitContact(r as Row));
    },

    async markRecipients(campaignId, updates) {
      if (!updates.length) return;
      // One update per contact (the last given): UPDATE ... FROM applies only one of several.
      const last = [...new Map(updates.map((u) => [u.contact_id, u] as const)).values()];
      await pool.query(
        `UPDATE campaign_recipients r
         SET state = u.state, message_id = u.message_id, reason = u.reason
         FROM unnest($2::text[], $3::text[], $4::text[], $5::text[])
           AS u(contact_id, state, message_id, reason)
         WHERE r.campaign_id = $1 AND r.contact_id = u.contact_id`,
        [
          campaignId,
          last.map((u) => u.contact_id),
          last.map((u) => u.state),
          last.map((u) => u.message_id),
          last.map((u) => u.reason),
        ],
      );
    },

    async cancelPending(campaignId) {
      const res = await pool.query(
        `UPDATE campaign_recipients SET state = 'cancelled'
         WHERE campaign_id = $1 AND state = 'pending'`,
        [campaignId],
      );
      return res.rowCount ?? 0;
    },

    // A campaign's messages carry its id as their origin: counted on a partial index whose
    // size is the send queue's, not the campaign's (a queued message has no wamid or error).
    inQueue: (campaignId) =>
      count(
        `SELECT count(*) AS n FROM messages
         WHERE origin_id = $1 AND wamid IS NULL AND error IS NULL AND status = 'queued'`,
        [campaignId],
      ),

    async counts(campaignId) {
      const res = await pool.query<{ state: RecipientState; billed: string | null; n: number }>(
        `SELECT ${SHOWN_STATE} AS state, count(*)::int AS n,
                CASE WHEN (m.pricing->>'billable')::boolean
                     THEN COALESCE(m.pricing->>'category', 'unknown') END AS billed
         FROM campaign_recipients r
         LEFT JOIN messages m ON r.state = 'queued' AND m.id = r.message_id
         WHERE r.campaign_id = $1 GROUP BY 1, 3`,
        [campaignId],
      );
      const byState: Partial<Record<RecipientState, number>> = {};
      const billable: Record<string, number> = {};
      for (const r of res.rows) {
        byState[r.state] = (byState[r.state] ?? 0) + r.n;
        if (r.billed) billable[r.billed] = (billable[r.billed] ?? 0) + r.n;
      }
      return campaignCounts(byState, billable);
    },

    async recipients(campaignId, { limit, afterSeq = 0, state }) {
      const values: unknown[] = [campaignId, afterSeq, limit];
      let byState = '';
      if (state && isMessageStatus(state)) {
        values.push(state);
        byState = `AND r.state = 'queued' AND ${SHOWN_STATE} = $4`;
      } else if (state) {
        values.push(state);
        byState = 'AND r.state = $4';
      }
      const res = await pool.query(
        `SELECT r.contact_id, r.seq, r.phone_number, r.state, r.message_id, r.reason,
                m.status AS message_status, m.wamid, m.error, m.deferred, m.pricing
         FROM campaign_recipients r LEFT JOIN messages m ON m.id = r.message_id
         WHERE r.campaign_id = $1 AND r.seq > $2 ${byState}
         ORDER BY r.seq LIMIT $3`,
        values,
      );
      return res.rows.map((r) => toView(r as Row));
    },
  };
}

import type pg from 'pg';
import type { PaymentLinkRepository } from '../contract/payments';
import type { PaymentLinkDoc } from '../documents';
import { newPaymentLinkDoc } from '../payment-links';
import { fromRow, insertValues, json, type Row } from './db';

const COLUMNS = [
  'id',
  'org_id',
  'contact_id',
  'phone_number',
  'account_id',
  'amount',
  'currency',
  'description',
  'gateway',
  'gateway_link_id',
  'url',
  'reference_id',
  'expires_at',
  'remind_at',
  'reminders_sent',
  'status',
  'status_history',
  'payment_id',
  'paid_at',
  'paid_after_close',
  'error',
  'link_message_id',
  'receipt_message_id',
  'request_hash',
  'created_at',
  'updated_at',
];

function toLink(row: Row): PaymentLinkDoc {
  const doc = fromRow<PaymentLinkDoc>(row);
  return {
    ...doc,
    amount: Number(doc.amount),
    status_history: doc.status_history.map((h) => ({ ...h, at: new Date(h.at) })),
  };
}

async function oneLink(pool: pg.Pool, text: string, values: unknown[]) {
  const { rows } = await pool.query(text, values);
  return rows[0] ? toLink(rows[0] as Row) : null;
}

export function paymentLinkRepository(pool: pg.Pool): PaymentLinkRepository {
  return {
    async create(link, at = new Date()) {
      const doc = newPaymentLinkDoc(link, at);
      const { text, values } = insertValues(
        'payment_links',
        COLUMNS,
        [{ ...doc }],
        ['status_history'],
      );
      const res = await pool.query(`${text} ON CONFLICT (id) DO NOTHING`, values);
      if (res.rowCount) return { doc, created: true };
      const stored = await oneLink(pool, 'SELECT * FROM payment_links WHERE id = $1', [doc._id]);
      return { doc: stored!, created: false };
    },
    get: (orgId, id) =>
      oneLink(pool, 'SELECT * FROM payment_links WHERE id = $1 AND org_id = $2', [id, orgId]),
    byId: (id) => oneLink(pool, 'SELECT * FROM payment_links WHERE id = $1', [id]),
    byGatewayLinkId: (orgId, gateway, gatewayLinkId) =>
      oneLink(
        pool,
        `SELECT * FROM payment_links WHERE org_id = $1 AND gateway = $2 AND gateway_link_id = $3
         ORDER BY created_at DESC LIMIT 1`,
        [orgId, gateway, gatewayLinkId],
      ),
    async list(orgId, q) {
      const where = ['org_id = $1'];
      const values: unknown[] = [orgId];
      if (q.status) {
        values.push(q.status);
        where.push(`status = $${values.length}`);
      }
      if (q.contactId) {
        values.push(q.contactId);
        where.push(`contact_id = $${values.length}`);
      }
      if (q.before) {
        values.push(q.before.created_at, q.before.id);
        where.push(`(created_at, id) < ($${values.length - 1}, $${values.length})`);
      }
      values.push(q.limit);
      const { rows } = await pool.query(
        `SELECT * FROM payment_links WHERE ${where.join(' AND ')}
         ORDER BY created_at DESC, id DESC LIMIT $${values.length}`,
        values,
      );
      return rows.map((r) => toLink(r as Row));
    },
    async setGatewayLink(id, gatewayLinkId, url) {
      await pool.query(
        `UPDATE payment_links SET gateway_link_id = $2, url = $3, updated_at = now()
         WHERE id = $1 AND gateway_link_id IS NULL`,
        [id, gatewayLinkId, url],
      );
      return oneLink(pool, 'SELECT * FROM payment_links WHERE id = $1', [id]);
    },
    async setMessage(id, kind, messageId) {
      const column = kind === 'link' ? 'link_message_id' : 'receipt_message_id';
      await pool.query(
        `UPDATE payment_links SET ${column} = $2, updated_at = now() WHERE id = $1`,
        [id, messageId],
      );
    },
    async countReminder(id, n) {
      await pool.query(
        `UPDATE payment_links SET reminders_sent = $2, updated_at = now()
         WHERE id = $1 AND reminders_sent < $2`,
        [id, n],
      );
    },
    transition(id, from, to, at, detail, fields = {}) {
      const sets = [
        'status = $3',
        'status_history = status_history || $4::jsonb',
        'updated_at = $5',
      ];
      const values: unknown[] = [id, from, to, json([{ status: to, at, detail }]), at];
      for (const [key, value] of Object.entries(fields)) {
        values.push(value);
        sets.push(`${key} = $${values.length}`);
      }
      return oneLink(
        pool,
        `UPDATE payment_links SET ${sets.join(', ')} WHERE id = $1 AND status = ANY($2::text[])
         RETURNING *`,
        values,
      );
    },
  };
}

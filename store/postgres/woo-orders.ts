import type pg from 'pg';
import type { WooOrderDoc, WooOrderEvent, WooOrderRepository } from '../contract/woocommerce';
import { definedFields, newWooOrder, wooOrderKey } from '../woocommerce';
import { fromRow, type Row } from './db';

const FIELDS = ['number', 'status', 'contact_id', 'phone_number', 'total', 'currency'] as const;

/** jsonb holds event times as ISO strings: they come back as Dates. */
function fromStored(row: Row): WooOrderDoc {
  const doc = fromRow<WooOrderDoc>(row);
  const events = doc.events as unknown as (Omit<WooOrderEvent, 'at'> & { at: string })[];
  return { ...doc, events: events.map((e) => ({ ...e, at: new Date(e.at) })) };
}

export function wooOrderRepository(pool: pg.Pool): WooOrderRepository {
  return {
    async record(orgId, storeId, orderId, fields, event) {
      const now = new Date();
      const doc = { ...newWooOrder(orgId, storeId, orderId, now), ...definedFields(fields) };
      const given = FIELDS.filter((f) => fields[f] !== undefined);
      // The event is appended unless its id is there already: a retried activity adds nothing.
      const { rows } = await pool.query(
        `INSERT INTO woo_orders (id, org_id, store_id, order_id, ${FIELDS.join(', ')},
                                 events, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12, $12)
         ON CONFLICT (id) DO UPDATE SET
           ${given.map((f) => `${f} = EXCLUDED.${f}, `).join('')}
           events = CASE
             WHEN $13::text IS NULL
               OR woo_orders.events @> jsonb_build_array(jsonb_build_object('id', $13::text))
             THEN woo_orders.events ELSE woo_orders.events || $11::jsonb END,
           updated_at = EXCLUDED.updated_at
         WHERE woo_orders.org_id = $2
         RETURNING *`,
        [
          doc._id,
          orgId,
          storeId,
          orderId,
          ...FIELDS.map((f) => doc[f]),
          JSON.stringify(event ? [event] : []),
          now,
          event?.id ?? null,
        ],
      );
      if (!rows[0]) throw new Error(`Order ${doc._id} belongs to another organization`);
      return fromStored(rows[0] as Row);
    },
    async get(orgId, storeId, orderId) {
      const { rows } = await pool.query('SELECT * FROM woo_orders WHERE id = $1 AND org_id = $2', [
        wooOrderKey(storeId, orderId),
        orgId,
      ]);
      return rows[0] ? fromStored(rows[0] as Row) : null;
    },
    async list(orgId, storeId, { limit, before }) {
      const { rows } = await pool.query(
        `SELECT * FROM woo_orders WHERE org_id = $1 AND store_id = $2
           AND ($3::timestamptz IS NULL OR (updated_at, id) < ($3, $4))
         ORDER BY updated_at DESC, id DESC LIMIT $5`,
        [orgId, storeId, before?.updated_at ?? null, before?.id ?? '', limit],
      );
      return rows.map((r) => fromStored(r as Row));
    },
  };
}

import type pg from 'pg';
import { decryptSecret, encryptSecret } from '../../lib/crypto';
import type { WebhookEndpointRepository } from '../contract/webhooks';
import type { WebhookEndpointDoc } from '../documents';
import { newWebhookEndpoint, newWebhookSecret } from '../webhook-endpoints';
import { insertValues, many, one } from './db';

const COLUMNS = [
  'id',
  'org_id',
  'name',
  'url',
  'events',
  'secret_enc',
  'status',
  'status_reason',
  'failing_since',
  'next_probe_at',
  'request_hash',
  'created_at',
  'updated_at',
];

export function webhookEndpointRepository(
  pool: pg.Pool,
  encryptionKey: Buffer,
): WebhookEndpointRepository {
  return {
    async create(orgId, input) {
      const created = newWebhookEndpoint(orgId, input, encryptionKey);
      const { text, values } = insertValues('webhook_endpoints', COLUMNS, [
        { ...created.endpoint },
      ]);
      const res = await pool.query(`${text} ON CONFLICT (id) DO NOTHING`, values);
      if (res.rowCount) return { ...created, created: true };
      const stored = await one<WebhookEndpointDoc>(
        pool,
        'SELECT * FROM webhook_endpoints WHERE id = $1',
        [created.endpoint._id],
      );
      return {
        endpoint: stored!,
        secret: decryptSecret(stored!.secret_enc, encryptionKey),
        created: false,
      };
    },
    list: (orgId) =>
      many(pool, 'SELECT * FROM webhook_endpoints WHERE org_id = $1 ORDER BY created_at, id', [
        orgId,
      ]),
    get: (orgId, id) =>
      one(pool, 'SELECT * FROM webhook_endpoints WHERE id = $1 AND org_id = $2', [id, orgId]),
    secretOf: (endpoint) => decryptSecret(endpoint.secret_enc, encryptionKey),
    update(orgId, id, changes) {
      const { status, ...fields } = changes;
      const set: Partial<WebhookEndpointDoc> = {
        ...fields,
        ...(status && { status, status_reason: null, failing_since: null, next_probe_at: null }),
        updated_at: new Date(),
      };
      const columns = Object.keys(set) as (keyof WebhookEndpointDoc)[];
      return one(
        pool,
        `UPDATE webhook_endpoints SET ${columns.map((c, i) => `${c} = $${i + 3}`).join(', ')}
         WHERE id = $1 AND org_id = $2 RETURNING *`,
        [id, orgId, ...columns.map((c) => set[c])],
      );
    },
    async rotateSecret(orgId, id) {
      const secret = newWebhookSecret();
      const res = await pool.query(
        `UPDATE webhook_endpoints SET secret_enc = $3, updated_at = now()
         WHERE id = $1 AND org_id = $2`,
        [id, orgId, encryptSecret(secret, encryptionKey)],
      );
      return res.rowCount ? secret : null;
    },
    async delete(orgId, id) {
      const res = await pool.query('DELETE FROM webhook_endpoints WHERE id = $1 AND org_id = $2', [
        id,
        orgId,
      ]);
      return res.rowCount === 1;
    },
    async setStatus(id, from, to, reason) {
      const closes = to !== 'failing';
      const res = await pool.query(
        `UPDATE webhook_endpoints SET status = $3, status_reason = $4, updated_at = now()
           ${closes ? ', failing_since = NULL, next_probe_at = NULL' : ''}
         WHERE id = $1 AND status = ANY($2::text[])
           AND (status <> $3 OR status_reason IS DISTINCT FROM $4
             ${closes ? 'OR failing_since IS NOT NULL' : ''})`,
        [id, Array.isArray(from) ? from : [from], to, reason],
      );
      return res.rowCount === 1;
    },
    async openCircuit(id, at, reason) {
      // The CTE's second SELECT sees the row as it was before the UPDATE: it answers only when
      // the circuit was open already.
      const res = await pool.query<{ failing_since: Date }>(
        `WITH opened AS (
           UPDATE webhook_endpoints
           SET status = 'failing', status_reason = $3, failing_since = $2, updated_at = $2
           WHERE id = $1 AND status IN ('active', 'failing') AND failing_since IS NULL
           RETURNING failing_since)
         SELECT failing_since FROM opened
         UNION ALL
         SELECT failing_since FROM webhook_endpoints
         WHERE id = $1 AND status = 'failing' AND failing_since IS NOT NULL`,
        [id, at, reason],
      );
      return res.rows[0]?.failing_since ?? null;
    },
    async setNextProbe(id, at) {
      await pool.query(
        `UPDATE webhook_endpoints SET next_probe_at = $2
         WHERE id = $1 AND failing_since IS NOT NULL`,
        [id, at],
      );
    },
  };
}

import type pg from 'pg';
import type { AttemptSummary, WebhookDeliveryRepository } from '../contract/webhooks';
import type { WebhookDispatchDoc } from '../documents';
import { insertNew, many, one } from './db';
import { sweepCursor } from './sweep-cursors';

const DISPATCH_COLUMNS = ['id', 'org_id', 'event_type', 'body', 'endpoint_ids', 'created_at'];
const ATTEMPT_COLUMNS = [
  'id',
  'org_id',
  'endpoint_id',
  'event_id',
  'run',
  'attempt',
  'at',
  'status_code',
  'latency_ms',
  'error',
  'outcome',
  'next_attempt_at',
];
export function webhookDeliveryRepository(pool: pg.Pool): WebhookDeliveryRepository {
  const cursor = sweepCursor(pool, 'sweep');
  return {
    claim: (docs) => insertNew(pool, 'webhook_dispatches', DISPATCH_COLUMNS, docs),
    async recordAttempts(docs) {
      await insertNew(pool, 'webhook_attempts', ATTEMPT_COLUMNS, docs);
    },
    dispatch: (eventId) => one(pool, 'SELECT * FROM webhook_dispatches WHERE id = $1', [eventId]),
    dispatchesSince: (from) =>
      many(pool, 'SELECT * FROM webhook_dispatches WHERE created_at >= $1', [from]),
    listForEndpoint(orgId, endpointId, page) {
      const values: unknown[] = [orgId, [endpointId]];
      let after = '';
      if (page.after) {
        values.push(page.after.created_at, page.after.id);
        after = 'AND (created_at, id) < ($3, $4)';
      }
      values.push(page.limit);
      return many<Omit<WebhookDispatchDoc, 'body'>>(
        pool,
        `SELECT id, org_id, event_type, endpoint_ids, created_at FROM webhook_dispatches
         WHERE org_id = $1 AND endpoint_ids @> $2::text[] ${after}
         ORDER BY created_at DESC, id DESC LIMIT $${values.length}`,
        values,
      );
    },
    attemptsOf: (endpointId, eventIds) =>
      many(
        pool,
        `SELECT * FROM webhook_attempts WHERE endpoint_id = $1 AND event_id = ANY($2::text[])
         ORDER BY run, attempt`,
        [endpointId, eventIds],
      ),
    attemptsSince: (from) =>
      many<AttemptSummary>(
        pool,
        `SELECT id, endpoint_id, event_id, run, attempt, outcome, next_attempt_at
         FROM webhook_attempts WHERE at >= $1`,
        [from],
      ),
    async purgeBefore(before) {
      await pool.query('DELETE FROM webhook_attempts WHERE at < $1', [before]);
      return (
        (await pool.query('DELETE FROM webhook_dispatches WHERE created_at < $1', [before]))
          .rowCount ?? 0
      );
    },
    recoveredThrough: () => cursor.get(),
    setRecoveredThrough: (through) => cursor.set(through),
  };
}

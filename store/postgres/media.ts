import type pg from 'pg';
import type { MediaRepository } from '../contract/media';
import type { MediaDoc } from '../documents';
import { insertNew, insertValues, many, one, transaction } from './db';

const COLUMNS = [
  'id',
  'org_id',
  'account_id',
  'direction',
  'mime_type',
  'filename',
  'size',
  'sha256',
  'storage_key',
  'status',
  'message_id',
  'message_type',
  'meta_media_id',
  'attempts',
  'next_attempt_at',
  'error',
  'created_at',
  'stored_at',
];

export function mediaRepository(pool: pg.Pool): MediaRepository {
  /** Updates a pending download still at attempt `attempt`. */
  const settle = async (id: string, attempt: number, set: string, values: unknown[]) => {
    const res = await pool.query(
      `UPDATE media SET ${set} WHERE id = $1 AND attempts = $2 AND status = 'pending'`,
      [id, attempt, ...values],
    );
    return res.rowCount === 1;
  };
  return {
    async create(doc) {
      const { text, values } = insertValues('media', COLUMNS, [{ ...doc }]);
      await pool.query(text, values);
    },

    createMany: (docs) => insertNew(pool, 'media', COLUMNS, docs),

    get: (orgId, id) =>
      one<MediaDoc>(pool, 'SELECT * FROM media WHERE id = $1 AND org_id = $2', [id, orgId]),

    claimDue: (now, limit, leaseMs) =>
      many<MediaDoc>(
        pool,
        `UPDATE media SET attempts = attempts + 1, next_attempt_at = $2
         WHERE id IN (
           SELECT id FROM media WHERE status = 'pending' AND next_attempt_at <= $1
           ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED)
         RETURNING *`,
        [now, new Date(now.getTime() + leaseMs), limit],
      ),

    // The record and its message's `content.media` together.
    markStored: (id, attempt, file, at) =>
      transaction(pool, async (client) => {
        const res = await client.query<{ message_id: string | null }>(
          `UPDATE media SET status = 'stored', size = $3, sha256 = $4, mime_type = $5,
             stored_at = $6, next_attempt_at = NULL, error = NULL
           WHERE id = $1 AND attempts = $2 AND status = 'pending'
           RETURNING message_id`,
          [id, attempt, file.size, file.sha256, file.mime_type, at],
        );
        const messageId = res.rows[0]?.message_id;
        if (messageId === undefined) return false;
        if (messageId !== null) {
          await client.query(
            `UPDATE messages SET content = jsonb_set(jsonb_set(content, '{media,size}',
               to_jsonb($2::bigint)), '{media,sha256}', to_jsonb($3::text))
             WHERE id = $1 AND content ? 'media'`,
            [messageId, file.size, file.sha256],
          );
        }
        return true;
      }),

    markRetry: (id, attempt, error, nextAttemptAt) =>
      settle(id, attempt, 'error = $3, next_attempt_at = $4', [error, nextAttemptAt]),

    markFailed: (id, attempt, error) =>
      settle(id, attempt, `status = 'failed', error = $3, next_attempt_at = NULL`, [error]),
  };
}

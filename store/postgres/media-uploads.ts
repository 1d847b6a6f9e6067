import type pg from 'pg';
import { mediaUploadId, type MediaUploadRepository } from '../contract/media-uploads';
import type { MediaUploadDoc } from '../documents';
import { one } from './db';

export function mediaUploadRepository(pool: pg.Pool): MediaUploadRepository {
  return {
    get: (mediaId, accountId) =>
      one<MediaUploadDoc>(pool, 'SELECT * FROM media_uploads WHERE id = $1', [
        mediaUploadId(mediaId, accountId),
      ]),

    async record(upload) {
      const doc = { _id: mediaUploadId(upload.media_id, upload.account_id), ...upload };
      await pool.query(
        `INSERT INTO media_uploads (id, media_id, account_id, meta_media_id, uploaded_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (id) DO UPDATE
           SET meta_media_id = EXCLUDED.meta_media_id, uploaded_at = EXCLUDED.uploaded_at`,
        [doc._id, doc.media_id, doc.account_id, doc.meta_media_id, doc.uploaded_at],
      );
      return doc;
    },
  };
}

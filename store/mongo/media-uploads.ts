import type { Db } from 'mongodb';
import { mediaUploadId, type MediaUploadRepository } from '../contract/media-uploads';
import type { MediaUploadDoc } from '../documents';
import { upsertRacing } from './duplicate-key';

export function mediaUploadRepository(db: Db): MediaUploadRepository {
  const col = db.collection<MediaUploadDoc>('media_uploads');
  return {
    get: (mediaId, accountId) => col.findOne({ _id: mediaUploadId(mediaId, accountId) }),

    async record(upload) {
      const doc = { _id: mediaUploadId(upload.media_id, upload.account_id), ...upload };
      await upsertRacing(() => col.replaceOne({ _id: doc._id }, doc, { upsert: true }));
      return doc;
    },
  };
}

import type { MetaClient } from '../meta/client';
import type { Store } from '../store';
import type { AccountDoc, MediaDoc, MediaUploadDoc } from '../store/documents';
import type { BlobStore } from './blob-store';

export interface MediaUploadDeps {
  store: Store;
  blobs: BlobStore;
  meta: MetaClient;
  now?: () => Date;
}

/**
 * Uploads a stored file to Meta for an account, streamed from the media store, and records
 * Meta's id for it there.
 */
export async function uploadToMeta(
  { store, blobs, meta, now = () => new Date() }: MediaUploadDeps,
  media: MediaDoc,
  account: AccountDoc,
): Promise<MediaUploadDoc> {
  const file = await blobs.get(media.storage_key);
  if (!file) throw new Error(`The file of media ${media._id} is missing from the media store`);
  const uploadedAt = now();
  const metaId = await meta.uploadMedia(
    {
      graphUrl: account.graph_url,
      accessToken: store.accounts.credentials(account).accessToken,
      phoneNumberId: account.phone_number_id,
    },
    {
      stream: file.stream,
      size: file.size,
      mimeType: media.mime_type,
      filename: media.filename ?? media._id,
    },
  );
  return store.mediaUploads.record({
    media_id: media._id,
    account_id: account._id,
    meta_media_id: metaId,
    uploaded_at: uploadedAt,
  });
}

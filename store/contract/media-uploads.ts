import type { MediaUploadDoc } from '../documents';

/** Meta's id of each outbound media file per account it was uploaded for. */
export interface MediaUploadRepository {
  get(mediaId: string, accountId: string): Promise<MediaUploadDoc | null>;
  /** Records an upload, replacing the account's earlier one of the file. */
  record(upload: Omit<MediaUploadDoc, '_id'>): Promise<MediaUploadDoc>;
}

export const mediaUploadId = (mediaId: string, accountId: string) => `${mediaId}:${accountId}`;

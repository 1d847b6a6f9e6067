import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { assertConnected, resolveAccount } from '../accounts/resolve';
import { DomainError } from '../lib/errors';
import { WHATSAPP_MEDIA_TYPES, bareMimeType, whatsappMediaType } from '../lib/whatsapp-media';
import { MetaApiError } from '../meta/errors';
import type { MediaDoc } from '../store/documents';
import { MediaTooLargeError } from './blob-store';
import { uploadToMeta, type MediaUploadDeps } from './upload-to-meta';

export interface MediaUploadRequest {
  stream: Readable;
  /** As the client labelled the file part. */
  mimeType: string;
  filename: string | null;
  /** The account to upload for; the organization's default when absent. */
  whatsapp_account?: string;
}

export interface UploadedMedia {
  media: MediaDoc;
  metaMediaId: string;
}

const SUPPORTED = Object.keys(WHATSAPP_MEDIA_TYPES).join(', ');

/**
 * An outbound media file: streamed into the media store (within its type's size limit), then
 * uploaded to Meta for the account, then recorded. A failure at any step leaves nothing behind.
 */
export async function uploadMedia(
  deps: MediaUploadDeps,
  orgId: string,
  req: MediaUploadRequest,
): Promise<UploadedMedia> {
  const mimeType = bareMimeType(req.mimeType);
  const type = whatsappMediaType(mimeType);
  let account;
  try {
    if (!type) {
      throw new DomainError(
        `file: type '${mimeType}' is not one WhatsApp takes; send one of ${SUPPORTED}`,
        415,
      );
    }
    account = await resolveAccount(deps.store, orgId, req.whatsapp_account);
    assertConnected(account);
  } catch (err) {
    req.stream.resume();
    throw err;
  }
  const id = randomUUID();
  const key = `${orgId}/outbound/${id}`;
  let stored;
  try {
    stored = await deps.blobs.put(key, req.stream, {
      contentType: mimeType,
      maxBytes: type.maxBytes,
    });
  } catch (err) {
    req.stream.resume();
    if (err instanceof MediaTooLargeError) {
      throw new DomainError(
        `file: ${mimeType} files may be at most ${sizeText(type.maxBytes)} (${type.maxBytes} bytes)`,
        413,
      );
    }
    throw err;
  }
  const now = deps.now?.() ?? new Date();
  const media: MediaDoc = {
    _id: id,
    org_id: orgId,
    account_id: account._id,
    direction: 'outbound',
    mime_type: mimeType,
    filename: req.filename,
    size: stored.size,
    sha256: stored.sha256,
    storage_key: key,
    status: 'stored',
    message_id: null,
    meta_media_id: null,
    attempts: 0,
    next_attempt_at: null,
    error: null,
    created_at: now,
    stored_at: now,
  };
  let upload;
  try {
    upload = await uploadToMeta(deps, media, account);
  } catch (err) {
    await deps.blobs.delete(key).catch(() => undefined);
    if (err instanceof MetaApiError) {
      throw new DomainError(`Meta refused the upload: ${err.message}`, 502, {}, 'meta_error');
    }
    throw err;
  }
  media.meta_media_id = upload.meta_media_id;
  await deps.store.media.create(media);
  return { media, metaMediaId: upload.meta_media_id };
}

/** Meta's limits are whole MB or KB. */
const sizeText = (n: number) => (n >= 1024 * 1024 ? `${n / (1024 * 1024)} MB` : `${n / 1024} KB`);

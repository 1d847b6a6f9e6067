import { DomainError, NotFoundError } from '../lib/errors';
import type { Store } from '../store';
import type { BlobRead, BlobStore } from './blob-store';
import { checkMediaSignature } from './signed-url';

export interface ServeDeps {
  store: Store;
  blobs: BlobStore;
}

export interface MediaFile extends BlobRead {
  filename: string | null;
}

/** A message's id as Waflow gives it (`in:wamid...`), or Meta's wamid of an inbound message. */
const messageIdOf = (id: string) => (id.startsWith('wamid.') ? `in:${id}` : id);

/**
 * The file of an organization's message, as a stream. A message of another organization, or
 * without a file, is a 404; a file not yet downloaded, or whose download failed, a 409 saying so.
 */
export async function openMessageMedia(
  { store, blobs }: ServeDeps,
  orgId: string,
  id: string,
): Promise<MediaFile> {
  const doc = await store.media.get(orgId, messageIdOf(id));
  if (!doc) throw new NotFoundError(`Message ${id} has no media file`);
  if (doc.status === 'pending') {
    throw new DomainError(
      `The file of message ${id} is still being downloaded from WhatsApp: try again shortly`,
      409,
      { 'retry-after': '5' },
      'media_pending',
    );
  }
  if (doc.status === 'failed') {
    throw new DomainError(
      `The file of message ${id} could not be downloaded from WhatsApp: ${doc.error ?? 'unknown reason'}`,
      409,
      {},
      'media_failed',
    );
  }
  const read = await blobs.get(doc.storage_key);
  if (!read) throw new NotFoundError(`The file of message ${id} is no longer in the media store`);
  return { ...read, filename: doc.filename };
}

/** The same, through a signed URL instead of an API key: a bad or expired signature is a 403. */
export async function openSignedMedia(
  deps: ServeDeps & { secret: Buffer },
  orgId: string,
  id: string,
  query: { expires: number; signature: string },
): Promise<MediaFile> {
  checkMediaSignature(deps.secret, orgId, id, query);
  return openMessageMedia(deps, orgId, id);
}

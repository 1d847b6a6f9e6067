import type { Log } from '../lib/log';
import type { MetaClient } from '../meta/client';
import { MetaApiError } from '../meta/errors';
import type { Store } from '../store';
import type { MediaDoc } from '../store/documents';
import { MediaTooLargeError, type BlobStore } from './blob-store';
import { isMediaType, MEDIA_LIMITS } from './limits';

export interface DownloadDeps {
  store: Store;
  blobs: BlobStore;
  meta: MetaClient;
  log: Log;
  /** Waits before the 2nd, 3rd... attempt; after the last one's failure the file is `failed`. */
  retryDelaysMs: number[];
  now?: () => Date;
}

/** A failure that trying again would repeat: the download ends `failed` at once. */
class Permanent extends Error {}

/** Meta's answer for an id it does not have (any more): 100, subcode 33, or a plain 404. */
const gone = (err: unknown) =>
  err instanceof MetaApiError && err.httpStatus === 400 && err.code === 100;

/**
 * One attempt at an inbound file claimed from the queue (`attempts` is this attempt's
 * number): Meta's description, the download with the account's token streamed into the media
 * store within Meta's limit for its type, the sha256 checked against Meta's. The outcome is
 * recorded: stored, due again after its wait, or failed with its reason.
 */
export async function downloadInboundMedia(deps: DownloadDeps, doc: MediaDoc): Promise<void> {
  const { store, log } = deps;
  const now = deps.now ?? (() => new Date());
  try {
    const file = await fetchInto(deps, doc);
    if (!(await store.media.markStored(doc._id, doc.attempts, file, now()))) {
      log.warn({ media: doc._id, attempt: doc.attempts }, 'media stored after its claim ended');
    }
  } catch (err) {
    const reason = reasonOf(err);
    const wait = deps.retryDelaysMs[doc.attempts - 1];
    if (err instanceof Permanent || err instanceof MediaTooLargeError || gone(err)) {
      await store.media.markFailed(doc._id, doc.attempts, reason);
    } else if (wait === undefined) {
      await store.media.markFailed(
        doc._id,
        doc.attempts,
        `Gave up after ${doc.attempts} attempts: ${reason}`,
      );
    } else {
      await store.media.markRetry(doc._id, doc.attempts, reason, new Date(now().getTime() + wait));
    }
  }
}

/** Meta's own words (its code and HTTP status too), or the error's. */
function reasonOf(err: unknown): string {
  if (!(err instanceof MetaApiError)) return err instanceof Error ? err.message : String(err);
  const status = err.httpStatus ? `HTTP ${err.httpStatus}, ` : '';
  return `Meta: ${err.metaMessage} (${status}code ${err.code})`;
}

async function fetchInto(deps: DownloadDeps, doc: MediaDoc) {
  const { store, meta, blobs } = deps;
  const account = await store.accounts.findById(doc.account_id);
  if (!account) throw new Permanent(`Its WhatsApp account ${doc.account_id} no longer exists`);
  if (!doc.meta_media_id) throw new Permanent('The message names no media id');
  const target = {
    graphUrl: account.graph_url,
    accessToken: store.accounts.credentials(account).accessToken,
  };
  const type = doc.message_type ?? '';
  const maxBytes = isMediaType(type) ? MEDIA_LIMITS[type] : MEDIA_LIMITS.document;
  const info = await meta.getMedia(target, doc.meta_media_id);
  if (info.fileSize !== null && info.fileSize > maxBytes) throw new MediaTooLargeError(maxBytes);
  const { body } = await meta.downloadMedia(target, info.url);
  const mimeType = info.mimeType ?? doc.mime_type;
  const stored = await blobs.put(doc.storage_key, body, { contentType: mimeType, maxBytes });
  if (info.sha256 && stored.sha256 !== info.sha256.toLowerCase()) {
    await blobs.delete(doc.storage_key);
    throw new Permanent(
      `sha256 mismatch: Meta gave ${info.sha256}, the file downloaded has ${stored.sha256}`,
    );
  }
  return { ...stored, mime_type: mimeType };
}

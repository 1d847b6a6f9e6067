import { TtlCache } from '../lib/ttl-cache';
import type { AccountDoc, MediaUploadDoc } from '../store/documents';
import { mediaRefsOf } from './references';
import { uploadToMeta, type MediaUploadDeps } from './upload-to-meta';

/** Meta keeps an upload 30 days; one a day short of that is uploaded again before a send. */
export const META_MEDIA_TTL_MS = 30 * 86_400_000;
const REUPLOAD_AFTER_MS = META_MEDIA_TTL_MS - 86_400_000;
/** Uploads read from the store stay in memory this long: a campaign reads each once. */
const CACHE_MS = 60_000;

/** A file a message names that Waflow no longer has: the message cannot be sent. */
export class MediaUnavailableError extends Error {}

/** Meta's ids put in a message's content, by Waflow media id. */
export type MetaIds = ReadonlyMap<string, string>;

export interface ResolvedContent {
  content: Record<string, unknown>;
  metaIds: MetaIds;
}

/**
 * Puts Meta's ids in place of Waflow's media ids as a message goes out: the account's upload
 * of each file, uploaded (again) when it has none or Meta has forgotten it (30 days). A send
 * lane is one process per account, so one upload per file and account serves every message.
 */
export class MediaResolver {
  private readonly uploads: TtlCache<string, MediaUploadDoc | null>;
  private readonly uploading = new Map<string, Promise<MediaUploadDoc>>();
  private readonly now: () => Date;

  constructor(private readonly deps: MediaUploadDeps) {
    this.now = deps.now ?? (() => new Date());
    this.uploads = new TtlCache(CACHE_MS, 10_000, () => this.now().getTime());
  }

  /**
   * The content to send, with Meta's ids. `refused`: the ids Meta refused on a first attempt,
   * uploaded again unless another send already did.
   */
  async resolve(
    account: AccountDoc,
    type: string,
    content: Record<string, unknown>,
    refused?: MetaIds,
  ): Promise<ResolvedContent> {
    if (!mediaRefsOf(type, content).length) return { content, metaIds: new Map() };
    const copy = structuredClone(content);
    const metaIds = new Map<string, string>();
    for (const ref of mediaRefsOf(type, copy)) {
      const metaId = await this.metaIdFor(account, ref.id, refused?.get(ref.id));
      ref.object.id = metaId;
      metaIds.set(ref.id, metaId);
    }
    return { content: copy, metaIds };
  }

  private async metaIdFor(account: AccountDoc, mediaId: string, refused?: string) {
    const key = `${mediaId}:${account._id}`;
    const current = await this.uploads.getOrLoad(key, () =>
      this.deps.store.mediaUploads.get(mediaId, account._id),
    );
    const fresh =
      current &&
      current.meta_media_id !== refused &&
      this.now().getTime() - current.uploaded_at.getTime() < REUPLOAD_AFTER_MS;
    if (fresh) return current.meta_media_id;
    return (await this.upload(key, account, mediaId)).meta_media_id;
  }

  /** One upload at a time per file and account; sends asking meanwhile share it. */
  private upload(key: string, account: AccountDoc, mediaId: string): Promise<MediaUploadDoc> {
    let pending = this.uploading.get(key);
    if (!pending) {
      pending = (async () => {
        const media = await this.deps.store.media.get(account.org_id, mediaId);
        if (!media || media.status !== 'stored') {
          throw new MediaUnavailableError(`Media '${mediaId}' is no longer available`);
        }
        const upload = await uploadToMeta(this.deps, media, account);
        this.uploads.set(key, upload);
        return upload;
      })().finally(() => this.uploading.delete(key));
      this.uploading.set(key, pending);
    }
    return pending;
  }
}

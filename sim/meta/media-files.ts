import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Readable } from 'node:stream';
import { mediaId } from './ids';

/** How long a download URL from `GET /{media-id}` works (Meta: 5 minutes). */
export const MEDIA_URL_TTL_MS = 5 * 60_000;
/** How long a media id can be read (Meta keeps media 30 days). */
export const MEDIA_ID_TTL_MS = 30 * 86_400_000;

/** A file's bytes: given, or `size` bytes of a pattern made as they are read (large files). */
export type MediaBytes =
  | Buffer
  | {
      size: number;
      /** Told the bytes served so far as each chunk of a download goes out. */
      onServe?: (sent: number) => void;
    };

export interface SimMediaFile {
  id: string;
  mime_type: string;
  bytes: MediaBytes;
  size: number;
  /** Hex, as `GET /{media-id}` gives it. */
  sha256: string;
  created_at: number;
  phone_number_id: string | null;
  /** Downloads still to fail, and with which HTTP status. */
  failDownloads: number;
  failStatus: number;
  /** Downloads serve other bytes than those the sha256 describes. */
  wrongBytes: boolean;
  /** `DELETE /{media-id}` removed it. */
  deleted?: boolean;
}

const PATTERN_CHUNK = 64 * 1024;
// Never written to, so one buffer serves every chunk of every generated file.
const PATTERN = Buffer.alloc(PATTERN_CHUNK, 'waflow-media-');
const pattern = (n: number) => PATTERN.subarray(0, n);

function chunksOf(bytes: MediaBytes): Iterable<Buffer> {
  if (Buffer.isBuffer(bytes)) return [bytes];
  return (function* () {
    for (let sent = 0; sent < bytes.size; sent += PATTERN_CHUNK) {
      yield pattern(Math.min(PATTERN_CHUNK, bytes.size - sent));
    }
  })();
}

/** The media files the simulator can serve: customers' (inbound) and, later, uploads. */
export class SimMediaFiles {
  private readonly files = new Map<string, SimMediaFile>();
  private readonly urlKey = randomBytes(32);

  constructor(private readonly now: () => number) {}

  add(input: { mime_type: string; bytes: MediaBytes; phone_number_id?: string }): SimMediaFile {
    const hash = createHash('sha256');
    let size = 0;
    for (const chunk of chunksOf(input.bytes)) {
      hash.update(chunk);
      size += chunk.length;
    }
    const file: SimMediaFile = {
      id: mediaId(),
      mime_type: input.mime_type,
      bytes: input.bytes,
      size,
      sha256: hash.digest('hex'),
      created_at: this.now(),
      phone_number_id: input.phone_number_id ?? null,
      failDownloads: 0,
      failStatus: 500,
      wrongBytes: false,
    };
    this.files.set(file.id, file);
    return file;
  }

  /** A file whose id has not expired; undefined otherwise. */
  get(id: string): SimMediaFile | undefined {
    const file = this.files.get(id);
    if (!file || file.deleted || this.now() - file.created_at >= MEDIA_ID_TTL_MS) return undefined;
    return file;
  }

  /** Known, expired or not: a control may still change how it is served. */
  any(id: string): SimMediaFile | undefined {
    return this.files.get(id);
  }

  /**
   * Deletes a file (`DELETE /{media-id}`): its id and URLs stop working. It is remembered as
   * deleted, so reading its id is refused as Meta refuses it rather than read as another node.
   */
  delete(id: string): void {
    const file = this.files.get(id);
    if (file) file.deleted = true;
  }

  /** Query string of a download URL valid for MEDIA_URL_TTL_MS from now. */
  downloadQuery(id: string): string {
    const ext = String(Math.floor((this.now() + MEDIA_URL_TTL_MS) / 1000));
    return new URLSearchParams({ mid: id, ext, hash: this.sign(id, ext) }).toString();
  }

  /** The file a download URL names, or why it cannot be served. */
  checkDownload(q: {
    mid?: string;
    ext?: string;
    hash?: string;
  }): SimMediaFile | 'expired' | 'invalid' {
    const { mid = '', ext = '', hash = '' } = q;
    const expected = Buffer.from(this.sign(mid, ext));
    const given = Buffer.from(hash);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'invalid';
    if (this.now() >= Number(ext) * 1000) return 'expired';
    return this.get(mid) ?? 'expired';
  }

  /** The bytes a download serves: the file's, or others of the same size when told to lie. */
  stream(file: SimMediaFile): Readable {
    const { bytes, wrongBytes } = file;
    const onServe = Buffer.isBuffer(bytes) ? undefined : bytes.onServe;
    return Readable.from(
      (function* () {
        let sent = 0;
        for (const chunk of chunksOf(bytes)) {
          yield wrongBytes ? Buffer.alloc(chunk.length, 0x5a) : chunk;
          sent += chunk.length;
          onServe?.(sent);
        }
      })(),
    );
  }

  private sign(id: string, ext: string) {
    return createHmac('sha256', this.urlKey).update(`${id}:${ext}`).digest('base64url');
  }
}

/** Meta's `sha256` in an inbound message's media object is base64; `GET /{media-id}`'s is hex. */
export const webhookSha256 = (hex: string) => Buffer.from(hex, 'hex').toString('base64');

const MEDIA_TYPES = ['image', 'video', 'audio', 'document', 'sticker'] as const;
type MediaType = (typeof MEDIA_TYPES)[number];
const DEFAULT_MIME: Record<MediaType, string> = {
  image: 'image/jpeg',
  video: 'video/mp4',
  audio: 'audio/ogg',
  document: 'application/pdf',
  sticker: 'image/webp',
};

/**
 * An inbound media message names a file the simulator serves: the one its media object's `id`
 * names (its type and hash filled in), or a new small one.
 */
export function withMediaFile<T extends { phone_number_id: string; type?: string }>(
  files: SimMediaFiles,
  input: T,
): T {
  const type = input.type as MediaType | undefined;
  if (!type || !MEDIA_TYPES.includes(type)) return input;
  const given = ((input as Record<string, unknown>)[type] ?? {}) as Record<string, unknown>;
  const file =
    (typeof given.id === 'string' ? files.any(given.id) : undefined) ??
    files.add({
      mime_type: (given.mime_type as string | undefined) ?? DEFAULT_MIME[type],
      bytes: randomBytes(1024),
      phone_number_id: input.phone_number_id,
    });
  return {
    ...input,
    [type]: {
      mime_type: file.mime_type,
      sha256: webhookSha256(file.sha256),
      ...given,
      id: file.id,
    },
  };
}

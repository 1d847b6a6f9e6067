import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Transform, type TransformCallback } from 'node:stream';
import { DomainError, ValidationError } from '../lib/errors';

/**
 * Where media files' bytes are kept: a folder (fs-blob-store.ts) or S3-compatible object
 * storage (s3-blob-store.ts), chosen by open-blob-store.ts. Files stream in and out; none is
 * ever held whole in memory. Keys are chosen by callers (see `checkKey`).
 */
export interface BlobStore {
  /**
   * Stores the bytes of `source` under `key` (replacing what was there), measuring them as they
   * stream. Past `maxBytes` it throws MediaTooLargeError and leaves nothing behind; a failing
   * source leaves nothing behind either. A reader never sees a file half written.
   */
  put(key: string, source: BlobSource, options: PutOptions): Promise<StoredBlob>;
  /** The file as a stream with its size and content type, or null when there is none. */
  get(key: string): Promise<BlobRead | null>;
  /** Removes the file; nothing happens when there is none. */
  delete(key: string): Promise<void>;
  /** Releases connections (S3); the store is not used after. */
  close(): void;
}

export type BlobSource = Readable | AsyncIterable<Uint8Array>;

export interface PutOptions {
  contentType: string;
  maxBytes: number;
}

export interface StoredBlob {
  size: number;
  /** Hex, as Meta gives it. */
  sha256: string;
}

export interface BlobRead {
  stream: Readable;
  size: number;
  contentType: string;
}

/** A file past its limit: 413, naming the limit. */
export class MediaTooLargeError extends DomainError {
  constructor(readonly maxBytes: number) {
    super(`The file is larger than its limit of ${formatBytes(maxBytes)}`, 413);
  }
}

function formatBytes(n: number): string {
  const MB = 1024 * 1024;
  if (n >= MB && n % (MB / 10) === 0) return `${n / MB} MB (${n} bytes)`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KB (${n} bytes)`;
  return `${n} bytes`;
}

// Path segments that cannot climb out of a folder or collide with a store's own temporary files.
const KEY = /^[A-Za-z0-9_-][A-Za-z0-9._-]*(\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$/;

/** Keys are opaque to the stores but must be safe as a path and as an object name. */
export function checkKey(key: string): void {
  if (key.length > 512 || !KEY.test(key)) {
    throw new ValidationError(
      `'${key.slice(0, 80)}' is not a valid media key: letters, digits, '.', '_', '-' and '/', no segment starting with '.'`,
    );
  }
}

/** Counts and hashes the bytes passing through, failing once they pass the limit. */
export class Meter extends Transform {
  size = 0;
  private readonly hash = createHash('sha256');

  constructor(private readonly maxBytes: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.maxBytes) {
      done(new MediaTooLargeError(this.maxBytes));
      return;
    }
    this.hash.update(chunk);
    done(null, chunk);
  }

  result(): StoredBlob {
    return { size: this.size, sha256: this.hash.digest('hex') };
  }
}

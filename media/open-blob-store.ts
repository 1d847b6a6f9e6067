import type { MediaConfig } from '../lib/config';
import type { BlobStore } from './blob-store';
import { fsBlobStore } from './fs-blob-store';
import { s3BlobStore } from './s3-blob-store';

/** The media store the configuration names: a folder (the default) or an S3 bucket. */
export function openBlobStore(config: MediaConfig): BlobStore {
  return config.store.kind === 's3' ? s3BlobStore(config.store) : fsBlobStore(config.store.dir);
}

import { CreateBucketCommand, ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { randomBytes, randomUUID } from 'node:crypto';
import type { Env } from '../../lib/config';
import { loadConfig } from '../../lib/config';
import type { S3MediaConfig } from '../../lib/config';
import { s3Client } from '../../media/s3-blob-store';

/** The S3-compatible server the global setup started (moto). */
function s3Url(): string {
  const url = process.env.WAFLOW_TEST_S3_URL;
  if (!url) throw new Error('Run tests through jest: its global setup starts the servers');
  return url;
}

/** Settings of an S3 media store in a new, empty bucket of its own on the test server. */
export async function testS3Env(): Promise<Env> {
  const env: Env = {
    MEDIA_STORE: 's3',
    MEDIA_S3_BUCKET: `waflow-test-${randomUUID().slice(0, 13)}`,
    MEDIA_S3_REGION: 'us-east-1',
    MEDIA_S3_ENDPOINT: s3Url(),
    MEDIA_S3_ACCESS_KEY_ID: 'test',
    MEDIA_S3_SECRET_ACCESS_KEY: 'test',
    MEDIA_S3_FORCE_PATH_STYLE: 'true',
  };
  const config = s3Config(env);
  const client = s3Client(config);
  try {
    await client.send(new CreateBucketCommand({ Bucket: config.bucket }));
  } finally {
    client.destroy();
  }
  return env;
}

export function s3Config(env: Env): S3MediaConfig {
  const { store } = loadConfig({
    DATA_DIR: '/nonexistent',
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    ...env,
  }).media;
  if (store.kind !== 's3') throw new Error('not an S3 media store');
  return store;
}

/** Multipart uploads begun and neither completed nor aborted in the bucket. */
export async function openMultipartUploads(config: S3MediaConfig): Promise<number> {
  const client = s3Client(config);
  try {
    const res = await client.send(new ListMultipartUploadsCommand({ Bucket: config.bucket }));
    return res.Uploads?.length ?? 0;
  } finally {
    client.destroy();
  }
}

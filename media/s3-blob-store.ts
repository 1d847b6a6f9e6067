import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import { pipeline, type Readable } from 'node:stream';
import type { S3MediaConfig } from '../lib/config';
import { checkKey, Meter, type BlobStore } from './blob-store';

/** S3's smallest part but the last: what one upload holds in memory at most. */
const PART_BYTES = 5 * 1024 * 1024;

export function s3Client(config: S3MediaConfig): S3Client {
  return new S3Client({
    region: config.region,
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    ...(config.credentials ? { credentials: config.credentials } : {}),
    forcePathStyle: config.forcePathStyle,
  });
}

/**
 * Objects in an S3 bucket (or an S3-compatible server's), one per key. A file up to 5 MB is
 * one PUT; a larger one a multipart upload of 5 MB parts, sent as they fill, aborted on failure,
 * so memory stays at one part whatever the size. S3 makes an object visible only once
 * complete.
 */
export function s3BlobStore(config: S3MediaConfig, client: S3Client = s3Client(config)): BlobStore {
  const Bucket = config.bucket;
  return {
    async put(key, source, { contentType, maxBytes }) {
      checkKey(key);
      const meter = new Meter(maxBytes);
      const bytes = pipeline(source, meter, () => {});
      let uploadId: string | undefined;
      const parts: CompletedPart[] = [];
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      const sendPart = async () => {
        uploadId ??= (
          await client.send(
            new CreateMultipartUploadCommand({ Bucket, Key: key, ContentType: contentType }),
          )
        ).UploadId!;
        const PartNumber = parts.length + 1;
        const body = Buffer.concat(pending, pendingBytes);
        pending = [];
        pendingBytes = 0;
        const { ETag } = await client.send(
          new UploadPartCommand({ Bucket, Key: key, UploadId: uploadId, PartNumber, Body: body }),
        );
        parts.push({ ETag, PartNumber });
      };
      try {
        for await (const chunk of bytes as AsyncIterable<Buffer>) {
          pending.push(chunk);
          pendingBytes += chunk.length;
          if (pendingBytes >= PART_BYTES) await sendPart();
        }
        if (uploadId === undefined) {
          await client.send(
            new PutObjectCommand({
              Bucket,
              Key: key,
              Body: Buffer.concat(pending, pendingBytes),
              ContentType: contentType,
            }),
          );
        } else {
          if (pendingBytes > 0) await sendPart();
          await client.send(
            new CompleteMultipartUploadCommand({
              Bucket,
              Key: key,
              UploadId: uploadId,
              MultipartUpload: { Parts: parts },
            }),
          );
        }
      } catch (err) {
        bytes.destroy();
        if (uploadId !== undefined) {
          await client
            .send(new AbortMultipartUploadCommand({ Bucket, Key: key, UploadId: uploadId }))
            .catch(() => {});
        }
        throw err;
      }
      return meter.result();
    },

    async get(key) {
      checkKey(key);
      try {
        const res = await client.send(new GetObjectCommand({ Bucket, Key: key }));
        return {
          stream: res.Body as Readable,
          size: res.ContentLength ?? 0,
          contentType: res.ContentType ?? 'application/octet-stream',
        };
      } catch (err) {
        if (isMissing(err)) return null;
        throw err;
      }
    },

    async delete(key) {
      checkKey(key);
      await client.send(new DeleteObjectCommand({ Bucket, Key: key }));
    },

    close() {
      client.destroy();
    },
  };
}

function isMissing(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404;
}

import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { checkKey, Meter, type BlobStore } from './blob-store';

/**
 * Files under a folder, one per key. Each file starts with one line of JSON (its content type)
 * before its bytes, so a file and its type are renamed into place together: a reader sees the
 * whole file or none.
 */
export function fsBlobStore(dir: string): BlobStore {
  const pathOf = (key: string) => {
    checkKey(key);
    return join(dir, key);
  };
  return {
    async put(key, source, { contentType, maxBytes }) {
      const path = pathOf(key);
      await mkdir(dirname(path), { recursive: true });
      // Names starting with '.' are never keys.
      const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
      const meter = new Meter(maxBytes);
      const out = createWriteStream(tmp, { flags: 'wx' });
      try {
        out.write(`${JSON.stringify({ content_type: contentType })}\n`);
        await pipeline(source, meter, out);
        await rename(tmp, path);
      } catch (err) {
        out.destroy();
        await rm(tmp, { force: true });
        throw err;
      }
      return meter.result();
    },

    async get(key) {
      const path = pathOf(key);
      let handle;
      try {
        handle = await open(path, 'r');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw err;
      }
      try {
        const head = Buffer.alloc(1024);
        const { bytesRead } = await handle.read(head, 0, head.length, 0);
        const end = head.subarray(0, bytesRead).indexOf(10);
        if (end < 0) throw new Error(`Media file ${path} has no header line`);
        const { content_type } = JSON.parse(head.subarray(0, end).toString('utf8')) as {
          content_type: string;
        };
        const { size } = await handle.stat();
        const stream = handle.createReadStream({ start: end + 1 });
        return { stream, size: size - end - 1, contentType: content_type };
      } catch (err) {
        await handle.close();
        throw err;
      }
    },

    async delete(key) {
      await rm(pathOf(key), { force: true });
    },

    close() {},
  };
}

import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { buffer } from 'node:stream/consumers';
import { MediaTooLargeError, type BlobStore } from '../../media/blob-store';
import { fsBlobStore } from '../../media/fs-blob-store';
import { s3BlobStore } from '../../media/s3-blob-store';
import { openMultipartUploads, s3Config, testS3Env } from '../support/s3';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** `total` bytes, `chunk` at a time, from a generator: never one buffer. */
async function* chunks(total: number, chunk = 64 * 1024, fill = 7): AsyncGenerator<Buffer> {
  for (let sent = 0; sent < total; sent += chunk) {
    yield Buffer.alloc(Math.min(chunk, total - sent), fill);
  }
}

async function* failingAfter(bytes: number): AsyncGenerator<Buffer> {
  yield Buffer.alloc(bytes, 1);
  throw new Error('the source broke');
}

interface Case {
  store: BlobStore;
  /** Nothing left behind but the files stored (no temporary file, no open upload). */
  leftovers(): Promise<number>;
}

const cases: [string, () => Promise<Case>][] = [
  [
    'filesystem',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'waflow-media-'));
      const hidden = (path: string): number =>
        readdirSync(path, { withFileTypes: true }).reduce(
          (n, e) =>
            n + (e.isDirectory() ? hidden(join(path, e.name)) : e.name.startsWith('.') ? 1 : 0),
          0,
        );
      return { store: fsBlobStore(dir), leftovers: async () => hidden(dir) };
    },
  ],
  [
    's3',
    async () => {
      const config = s3Config(await testS3Env());
      return { store: s3BlobStore(config), leftovers: () => openMultipartUploads(config) };
    },
  ],
];

describe.each(cases)('%s blob store', (_name, open) => {
  let c: Case;
  let store: BlobStore;
  beforeAll(async () => {
    c = await open();
    store = c.store;
  });
  afterAll(() => store?.close());

  it('stores a stream under a key and gives it back with its size, sha256 and content type', async () => {
    const bytes = randomBytes(200 * 1024);
    const stored = await store.put('org-1/in/a.jpg', Readable.from([bytes]), {
      contentType: 'image/jpeg',
      maxBytes: 5 * 1024 * 1024,
    });
    expect(stored).toEqual({ size: bytes.length, sha256: sha256(bytes) });
    const read = await store.get('org-1/in/a.jpg');
    expect(read).toMatchObject({ size: bytes.length, contentType: 'image/jpeg' });
    expect((await buffer(read!.stream)).equals(bytes)).toBe(true);
  });

  it('streams a file larger than one S3 part from a generator, measuring it on the way', async () => {
    const total = 12 * 1024 * 1024 + 123;
    const stored = await store.put('big/doc.pdf', chunks(total), {
      contentType: 'application/pdf',
      maxBytes: 100 * 1024 * 1024,
    });
    const expected = createHash('sha256');
    for await (const part of chunks(total)) expected.update(part);
    expect(stored).toEqual({ size: total, sha256: expected.digest('hex') });
    const read = await store.get('big/doc.pdf');
    expect(read!.size).toBe(total);
    expect(sha256(await buffer(read!.stream))).toBe(stored.sha256);
  });

  it('an empty file is a file', async () => {
    expect(
      await store.put('empty.txt', Readable.from([]), { contentType: 'text/plain', maxBytes: 10 }),
    ).toEqual({ size: 0, sha256: sha256(Buffer.alloc(0)) });
    const read = await store.get('empty.txt');
    expect(read!.size).toBe(0);
    expect(await text(read!.stream)).toBe('');
  });

  it('refuses a file over its limit, naming the limit, and leaves nothing behind', async () => {
    for (const [key, total] of [
      ['over/small.bin', 1025],
      ['over/large.bin', 7 * 1024 * 1024],
    ] as const) {
      const maxBytes = total === 1025 ? 1024 : 6 * 1024 * 1024;
      const attempt = store.put(key, chunks(total, 512), {
        contentType: 'application/octet-stream',
        maxBytes,
      });
      await expect(attempt).rejects.toThrow(MediaTooLargeError);
      await attempt.catch((err: MediaTooLargeError) => {
        expect(err.statusCode).toBe(413);
        expect(err.message).toMatch(String(maxBytes));
      });
      expect(await store.get(key)).toBeNull();
    }
    expect(await c.leftovers()).toBe(0);
  });

  it('a source that fails halfway leaves nothing, not even the file it was replacing half-written', async () => {
    await store.put('broken.bin', Readable.from([Buffer.from('old')]), {
      contentType: 'text/plain',
      maxBytes: 100,
    });
    await expect(
      store.put('broken.bin', failingAfter(6 * 1024 * 1024), {
        contentType: 'application/octet-stream',
        maxBytes: 100 * 1024 * 1024,
      }),
    ).rejects.toThrow('the source broke');
    expect(await text((await store.get('broken.bin'))!.stream)).toBe('old');
    expect(await c.leftovers()).toBe(0);
  });

  it('a file being written is not visible until it is whole', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    async function* slow() {
      yield Buffer.from('first half ');
      await gate;
      yield Buffer.from('second half');
    }
    const writing = store.put('slow.txt', slow(), { contentType: 'text/plain', maxBytes: 100 });
    await new Promise((r) => setTimeout(r, 50));
    expect(await store.get('slow.txt')).toBeNull();
    release();
    await writing;
    expect(await text((await store.get('slow.txt'))!.stream)).toBe('first half second half');
  });

  it('replaces a file put again under its key, and deletes (absent or not)', async () => {
    const opts = { contentType: 'text/plain', maxBytes: 100 };
    await store.put('twice.txt', Readable.from([Buffer.from('one')]), opts);
    await store.put('twice.txt', Readable.from([Buffer.from('two!')]), {
      ...opts,
      contentType: 'text/csv',
    });
    const read = await store.get('twice.txt');
    expect(read).toMatchObject({ size: 4, contentType: 'text/csv' });
    expect(await text(read!.stream)).toBe('two!');
    await store.delete('twice.txt');
    expect(await store.get('twice.txt')).toBeNull();
    await store.delete('twice.txt');
    expect(await store.get('never-stored')).toBeNull();
  });

  it('refuses keys that could leave its folder or clash with its own files', async () => {
    for (const key of ['../x', 'a/../../x', '/abs', '.hidden', 'a/.tmp', '', 'a//b', 'a b']) {
      await expect(
        store.put(key, Readable.from([Buffer.from('x')]), {
          contentType: 'text/plain',
          maxBytes: 9,
        }),
      ).rejects.toThrow(/not a valid media key/);
      await expect(store.get(key)).rejects.toThrow(/not a valid media key/);
    }
  });
});

import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createMessagingHarness, type MessagingHarness } from '../support/messaging';

const MB = 1024 * 1024;

// A full collection on demand: what is measured is memory still held, not garbage awaiting GC
// (every 64 KB chunk read from a socket is a new buffer, freed at V8's next collection).
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const live = () => {
  gc();
  // V8 frees a collected buffer's memory on a background thread after the collection, later on
  // a loaded machine: up to 36 MB of chunks already let go still counted. A second collection
  // waits for that sweep first.
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

/** Samples taken along a transfer: one as each tenth of it passes. */
const SAMPLES = 10;

/**
 * The memory held (V8's heap and buffers, after a collection) as a transfer of `size` bytes
 * goes on, sampled each time another tenth has passed: by progress, not by the clock, so a fast
 * or a loaded machine takes the same samples.
 */
function alongTransfer(size: number) {
  const step = size / SAMPLES;
  const start = live();
  let peak = start;
  let next = step;
  let samples = 0;
  return {
    /** `bytes` of the transfer have passed so far. */
    passed(bytes: number) {
      if (bytes < next) return;
      peak = Math.max(peak, live());
      samples++;
      next = (Math.floor(bytes / step) + 1) * step;
    },
    result: () => ({ growthMb: (peak - start) / MB, samples }),
  };
}

describe('a 100 MB inbound document', () => {
  let h: MessagingHarness;
  beforeAll(async () => {
    h = await createMessagingHarness();
  });
  afterAll(() => h?.close());

  it('is downloaded, stored and served as a stream, memory staying far below its size', async () => {
    const size = 100 * MB;
    const downloading = alongTransfer(size);
    // Generated as it is served: the simulator holds none of it either.
    const file = h.sim.addMedia({
      mime_type: 'application/pdf',
      bytes: { size, onServe: (sent) => downloading.passed(sent) },
    });
    const { wamid } = await h.sim.inbound({
      phone_number_id: h.account.phone_number_id,
      from: '+919812345670',
      type: 'document',
      document: { id: file.id, filename: 'catalogue.pdf' },
    });
    await h.settle();
    const messageId = `in:${wamid}`;
    const stored = await (async () => {
      for (;;) {
        const doc = await h.app.store.media.get(h.account.org_id, messageId);
        if (doc?.status !== 'pending') return doc;
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    expect(stored).toMatchObject({ status: 'stored', size, sha256: file.sha256 });

    const serving = alongTransfer(size);
    const { port } = h.app.server.address() as AddressInfo;
    const res = await fetch(
      `http://127.0.0.1:${port}/api/messages/${encodeURIComponent(messageId)}/media`,
      { headers: { 'x-api-key': h.org.api_key.key } },
    );
    const hash = createHash('sha256');
    let bytes = 0;
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      hash.update(chunk);
      bytes += chunk.length;
      serving.passed(bytes);
    }
    expect({ status: res.status, bytes, sha256: hash.digest('hex') }).toEqual({
      status: 200,
      bytes: size,
      sha256: file.sha256,
    });

    const download = downloading.result();
    const served = serving.result();
    console.log(
      `100 MB document: memory held grew at most ${download.growthMb.toFixed(1)} MB while ` +
        `downloading, ${served.growthMb.toFixed(1)} MB while serving (${SAMPLES} samples each)`,
    );
    expect([download.samples, served.samples]).toEqual([SAMPLES, SAMPLES]);
    expect(download.growthMb).toBeLessThan(20);
    expect(served.growthMb).toBeLessThan(20);
    // 200 MB through sockets, the store and sha256 on a loaded two-core machine.
  }, 240_000);
});

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
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

/**
 * The most memory the process held (V8's heap and buffers, after a collection) while `work`
 * ran, sampled every 500 ms or, when a collection takes long (a big heap, a loaded machine),
 * four times as long as the last one took, so collecting stays a fifth of the time at most.
 */
async function peakGrowth<T>(
  work: () => Promise<T>,
): Promise<{ result: T; growthMb: number; samples: number }> {
  const start = live();
  let peak = start;
  let samples = 0;
  let timer: NodeJS.Timeout | undefined;
  const sample = () => {
    const began = performance.now();
    peak = Math.max(peak, live());
    samples++;
    timer = setTimeout(sample, Math.max(500, 4 * (performance.now() - began)));
  };
  timer = setTimeout(sample, 500);
  try {
    const result = await work();
    return { result, growthMb: (peak - start) / MB, samples };
  } finally {
    clearTimeout(timer);
  }
}

describe('a 100 MB inbound document', () => {
  let h: MessagingHarness;
  beforeAll(async () => {
    h = await createMessagingHarness();
  });
  afterAll(() => h?.close());

  it('is downloaded, stored and served as a stream, memory staying far below its size', async () => {
    const size = 100 * MB;
    // Generated as it is served: the simulator holds none of it either.
    const file = h.sim.addMedia({ mime_type: 'application/pdf', bytes: { size } });
    const messageId = await (async () => {
      const { wamid } = await h.sim.inbound({
        phone_number_id: h.account.phone_number_id,
        from: '+919812345670',
        type: 'document',
        document: { id: file.id, filename: 'catalogue.pdf' },
      });
      await h.settle();
      return `in:${wamid}`;
    })();

    const download = await peakGrowth(async () => {
      for (;;) {
        const doc = await h.app.store.media.get(h.account.org_id, messageId);
        if (doc?.status !== 'pending') return doc;
        await new Promise((r) => setTimeout(r, 50));
      }
    });
    expect(download.result).toMatchObject({ status: 'stored', size, sha256: file.sha256 });

    const { port } = h.app.server.address() as AddressInfo;
    const served = await peakGrowth(async () => {
      const res = await fetch(
        `http://127.0.0.1:${port}/api/messages/${encodeURIComponent(messageId)}/media`,
        { headers: { 'x-api-key': h.org.api_key.key } },
      );
      const hash = createHash('sha256');
      let bytes = 0;
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        hash.update(chunk);
        bytes += chunk.length;
      }
      return { status: res.status, bytes, sha256: hash.digest('hex') };
    });
    expect(served.result).toEqual({ status: 200, bytes: size, sha256: file.sha256 });

    console.log(
      `100 MB document: memory held grew ${download.growthMb.toFixed(1)} MB while downloading ` +
        `(${download.samples} samples), ${served.growthMb.toFixed(1)} MB while serving (${served.samples})`,
    );
    expect(download.samples).toBeGreaterThan(0);
    expect(download.growthMb).toBeLessThan(20);
    expect(served.growthMb).toBeLessThan(20);
    // 200 MB through sockets, the store and sha256 on a loaded two-core machine.
  }, 240_000);
});

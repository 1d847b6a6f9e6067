import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createMessagingHarness, type MessagingHarness } from '../support/messaging';

const MB = 1024 * 1024;

/** The highest resident memory seen while `work` runs, sampled every 20 ms, above `start`. */
async function peakGrowth<T>(work: () => Promise<T>): Promise<{ result: T; growthMb: number }> {
  const start = process.memoryUsage().rss;
  let peak = start;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  try {
    const result = await work();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { result, growthMb: (peak - start) / MB };
  } finally {
    clearInterval(timer);
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
      `100 MB document: memory grew ${download.growthMb.toFixed(1)} MB while downloading, ` +
        `${served.growthMb.toFixed(1)} MB while serving`,
    );
    expect(download.growthMb).toBeLessThan(40);
    expect(served.growthMb).toBeLessThan(40);
  });
});

import { randomBytes } from 'node:crypto';
import { createMessagingHarness, type MessagingHarness } from '../support/messaging';

/**
 * The worker looks for downloads once an hour here: a file that arrives is downloaded because
 * the API wakes it (PostgreSQL's notifications reach the worker's own connection).
 */
let h: MessagingHarness;
beforeAll(async () => {
  h = await createMessagingHarness({ env: { MEDIA_DOWNLOAD_POLL_MS: String(3_600_000) } });
});
afterAll(() => h?.close());

it('downloads an inbound file as soon as it arrives, woken by the API rather than a poll', async () => {
  const bytes = randomBytes(50_000);
  const file = h.sim.addMedia({ mime_type: 'image/jpeg', bytes });
  const { wamid } = await h.sim.inbound({
    phone_number_id: h.account.phone_number_id,
    from: '+919812345679',
    type: 'image',
    image: { id: file.id },
  });
  await h.settle();
  for (let i = 0; i < 200; i++) {
    const doc = await h.app.store.media.get(h.account.org_id, `in:${wamid}`);
    if (doc?.status === 'stored') return expect(doc.size).toBe(bytes.length);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the file was not downloaded: nothing woke the worker');
});

import { randomBytes } from 'node:crypto';
import { checkMediaSignature } from '../../media/signed-url';
import { createMessagingHarness, type MessagingHarness } from '../support/messaging';
import { STORE_KINDS } from '../support/store';

/**
 * An inbound file's URL is signed when a message is shown, not only when it arrived: history
 * read days later answers a URL good for the whole lifetime from the read. The API's clock is
 * moved instead of waiting.
 */
jest.setTimeout(120_000);

const DAY = 86_400_000;
const TTL_SECONDS = 3600;

describe.each(STORE_KINDS)('signed media URLs in message history on %s', (kind) => {
  let h: MessagingHarness;
  /** How far the API's clock is ahead of the real one. */
  let ahead = 0;
  beforeAll(async () => {
    h = await createMessagingHarness({
      env: { WAFLOW_STORE: kind, MEDIA_URL_TTL_SECONDS: String(TTL_SECONDS) },
      app: { now: () => Date.now() + ahead },
    });
  });
  afterAll(() => h?.close());

  const query = (url: string) => {
    const q = new URL(url).searchParams;
    return { expires: Number(q.get('expires')), signature: q.get('signature')! };
  };

  it('GET /api/messages signs the URL at each read, for the full lifetime from the read, and leaves the stored one as it was', async () => {
    const file = h.sim.addMedia({ mime_type: 'image/jpeg', bytes: randomBytes(5000) });
    const from = kind === 'mongo' ? '+447409300002' : '+447409300001';
    const { wamid } = await h.sim.inbound({
      phone_number_id: h.account.phone_number_id,
      from: from.slice(1),
      type: 'image',
      image: { id: file.id },
    });
    await h.settle();
    const messageId = `in:${wamid}`;
    const contact = (await h.app.store.contacts.findByPhone(h.account.org_id, from))!;
    const storedUrl = async () => {
      const history = await h.app.store.messages.history(h.account.org_id, contact._id, {
        limit: 10,
      });
      const m = history.find((d) => d._id === messageId)!;
      return (m.content.media as { url: string }).url;
    };
    const arrived = await storedUrl();

    for (const days of [2, 5]) {
      ahead = days * DAY;
      const readAt = Date.now() + ahead;
      const res = await h.call({ method: 'GET', url: `/api/messages?contact_id=${contact._id}` });
      expect(res.statusCode).toBe(200);
      const shown = (
        res.json().data.messages as { id: string; content: { media: { url: string } } }[]
      ).find((m) => m.id === messageId)!.content.media.url;
      const fresh = query(shown);
      // Good for the whole lifetime from the read (to the second the URL carries).
      expect(fresh.expires).toBeGreaterThanOrEqual(
        Math.floor((readAt + TTL_SECONDS * 1000) / 1000),
      );
      expect(fresh.expires * 1000).toBeLessThanOrEqual(Date.now() + ahead + TTL_SECONDS * 1000);
      expect(() =>
        checkMediaSignature(h.config.media.urlSecret, h.account.org_id, messageId, fresh, readAt),
      ).not.toThrow();
      // The URL signed on arrival has expired by then.
      expect(() =>
        checkMediaSignature(
          h.config.media.urlSecret,
          h.account.org_id,
          messageId,
          query(arrived),
          readAt,
        ),
      ).toThrow('The media URL has expired');
      expect(await storedUrl()).toBe(arrived);
    }
  });
});

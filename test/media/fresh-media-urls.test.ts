import { createHmac, randomBytes } from 'node:crypto';
import { checkMediaSignature, signedMediaUrl } from '../../media/signed-url';
import { webhookBody } from '../../webhooks/signing';
import { createMessagingHarness, type MessagingHarness } from '../support/messaging';
import { STORE_KINDS } from '../support/store';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

/**
 * An inbound file's URL is signed when a message is shown, not only when it arrived: history
 * read days later answers a URL good for the whole lifetime from the read, and a webhook
 * delivery attempted hours after its event was recorded carries one signed for the attempt.
 * Clocks are moved, or URLs signed as if long ago, instead of waiting.
 */
jest.setTimeout(120_000);

const DAY = 86_400_000;
const TTL_SECONDS = 3600;

describe.each(STORE_KINDS)('signed media URLs in message history on %s', (kind) => {
  let h: MessagingHarness;
  let receiver: WebhookReceiver;
  /** How far the API's clock is ahead of the real one. */
  let ahead = 0;
  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    h = await createMessagingHarness({
      env: {
        WAFLOW_STORE: kind,
        MEDIA_URL_TTL_SECONDS: String(TTL_SECONDS),
        WEBHOOK_ALLOW_HTTP: 'true',
        WEBHOOK_ALLOWED_NETWORKS: '127.0.0.1/32',
        WEBHOOK_ENDPOINT_CACHE_MS: '0',
      },
      app: { now: () => Date.now() + ahead },
    });
  });
  afterAll(async () => {
    await h?.close();
    await receiver?.close();
  });

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
    ahead = 0;
  });

  it('a message.incoming delivery attempted after the URL it was recorded with expired carries one signed for the attempt', async () => {
    const endpoint = await h.call({
      method: 'POST',
      url: '/api/webhook-endpoints',
      payload: { name: 'Files', url: `${receiver.url}/files`, events: ['message.incoming'] },
    });
    expect(endpoint.statusCode).toBe(201);
    const { id: endpointId, secret } = endpoint.json().data as { id: string; secret: string };
    const orgId = h.account.org_id;
    const wamid = `wamid.${kind}-late-file`;
    const messageId = `in:${wamid}`;
    const settings = {
      publicUrl: h.config.http.publicUrl,
      secret: h.config.media.urlSecret,
      ttlMs: TTL_SECONDS * 1000,
    };
    // The event as recorded a day ago: its URL expired 23 hours ago.
    const recordedAt = Date.now() - DAY;
    const recorded = webhookBody({
      type: 'message.incoming',
      timestamp: new Date(recordedAt),
      data: {
        message_id: wamid,
        from: '+447409300003',
        type: 'image',
        content: {
          id: 'meta-media-1',
          mime_type: 'image/jpeg',
          media: {
            mime_type: 'image/jpeg',
            size: 5000,
            sha256: 'ab'.repeat(32),
            url: signedMediaUrl(settings, orgId, messageId, recordedAt),
          },
        },
      },
    });
    const before = Date.now();
    // The engine the API delivers with, as a retry would attempt it.
    const report = await h.app.webhooks.deliverer.attempt(
      {
        orgId,
        endpointId,
        eventId: `message.incoming:${wamid}`,
        eventType: 'message.incoming',
        body: recorded,
        run: 1,
      },
      2,
      60_000,
    );
    expect(report.result.outcome).toBe('delivered');
    const got = receiver.received.find(
      (r) => r.headers['x-webhook-id'] === `message.incoming:${wamid}`,
    )!;
    const sent = JSON.parse(got.body) as { data: { content: { media: { url: string } } } };
    const url = sent.data.content.media.url;
    const fresh = query(url);
    expect(fresh.expires).toBeGreaterThanOrEqual(Math.floor((before + TTL_SECONDS * 1000) / 1000));
    expect(() =>
      checkMediaSignature(h.config.media.urlSecret, orgId, messageId, fresh, Date.now()),
    ).not.toThrow();
    const old = JSON.parse(recorded) as { data: { content: { media: { url: string } } } };
    expect(() =>
      checkMediaSignature(
        h.config.media.urlSecret,
        orgId,
        messageId,
        query(old.data.content.media.url),
        Date.now(),
      ),
    ).toThrow('The media URL has expired');
    // Nothing else changed, and the signature is the body's as sent.
    old.data.content.media.url = url;
    expect(got.body).toBe(JSON.stringify(old));
    expect(got.headers['x-webhook-signature']).toBe(
      createHmac('sha256', secret).update(got.body).digest('hex'),
    );
  });
});

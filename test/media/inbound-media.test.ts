import { createHash, randomBytes } from 'node:crypto';
import type { Env } from '../../lib/config';
import { openBlobStore } from '../../media/open-blob-store';
import { signedMediaUrl } from '../../media/signed-url';
import { provisionOrganization } from '../../scripts/provision';
import type { MediaDoc } from '../../store/documents';
import { createMessagingHarness, type MessagingHarness } from '../support/messaging';
import { testS3Env } from '../support/s3';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Waits (without asserting how long) until the message's file record is as `ready` says. */
async function until(
  h: MessagingHarness,
  messageId: string,
  ready: (doc: MediaDoc) => boolean,
): Promise<MediaDoc> {
  for (let i = 0; i < 600; i++) {
    const doc = await h.app.store.media.get(h.account.org_id, messageId);
    if (doc && ready(doc)) return doc;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the file of ${messageId} never got there`);
}

const settled = (h: MessagingHarness, messageId: string) =>
  until(h, messageId, (doc) => doc.status !== 'pending');

const MIME = {
  image: 'image/jpeg',
  video: 'video/mp4',
  audio: 'audio/ogg',
  document: 'application/pdf',
  sticker: 'image/webp',
} as const;

const setups: [string, () => Promise<Env>][] = [
  ['postgres, files in a folder', async () => ({ WAFLOW_STORE: 'postgres' })],
  ['mongo, files in a folder', async () => ({ WAFLOW_STORE: 'mongo' })],
  ['postgres, files in S3', async () => ({ WAFLOW_STORE: 'postgres', ...(await testS3Env()) })],
];

describe.each(setups)('inbound media (%s)', (_name, env) => {
  let h: MessagingHarness;
  beforeAll(async () => {
    h = await createMessagingHarness({
      env: { ...(await env()), MEDIA_DOWNLOAD_RETRY_SCHEDULE: '1s,1s' },
    });
  });
  afterAll(() => h?.close());

  const inbound = async (type: keyof typeof MIME, bytes: Buffer, extra: object = {}) => {
    const file = h.sim.addMedia({ mime_type: MIME[type], bytes });
    const { wamid } = await h.sim.inbound({
      phone_number_id: h.account.phone_number_id,
      from: '+919812345678',
      type,
      [type]: { id: file.id, ...extra },
    });
    await h.settle();
    return { file, wamid, messageId: `in:${wamid}` };
  };
  const incomingEvent = async (wamid: string) =>
    (await h.app.store.events.list(h.account.org_id, { type: 'message.incoming' }, 1_000)).find(
      (e) => e.data.message_id === wamid,
    );
  const storedMessage = async (messageId: string) => {
    const contact = await h.app.store.contacts.findByPhone(h.account.org_id, '+919812345678');
    const history = await h.app.store.messages.history(h.account.org_id, contact!._id, {
      limit: 100,
    });
    return history.find((m) => m._id === messageId)!;
  };
  const pathOf = (url: string) => url.slice(new URL(url).origin.length);

  it('downloads every type of inbound file, stores it, and serves it by API key and signed URL', async () => {
    for (const type of Object.keys(MIME) as (keyof typeof MIME)[]) {
      const bytes = randomBytes(type === 'sticker' ? 40_000 : 200_000);
      const { wamid, messageId } = await inbound(
        type,
        bytes,
        type === 'document' ? { filename: 'receipt.pdf' } : {},
      );
      // Stored and announced at once, with Meta's hash and Waflow's URL, before the download.
      const event = await incomingEvent(wamid);
      const media = (event!.data.content as { media: Record<string, unknown> }).media;
      expect(media).toEqual({
        mime_type: MIME[type],
        size: null,
        sha256: sha256(bytes),
        url: expect.stringContaining(`/api/media/signed/${h.account.org_id}/`),
      });

      const doc = await settled(h, messageId);
      expect(doc).toMatchObject({
        status: 'stored',
        size: bytes.length,
        sha256: sha256(bytes),
        mime_type: MIME[type],
        attempts: 1,
        message_type: type,
      });
      expect((await storedMessage(messageId)).content.media).toEqual({
        ...media,
        size: bytes.length,
      });

      const byKey = await h.call({
        method: 'GET',
        url: `/api/messages/${encodeURIComponent(messageId)}/media`,
      });
      expect(byKey.statusCode).toBe(200);
      expect(byKey.headers['content-type']).toBe(MIME[type]);
      expect(byKey.rawPayload.equals(bytes)).toBe(true);
      if (type === 'document') {
        expect(byKey.headers['content-disposition']).toBe("inline; filename*=UTF-8''receipt.pdf");
      }
      // Meta's wamid names it too.
      const byWamid = await h.call({
        method: 'GET',
        url: `/api/messages/${encodeURIComponent(wamid)}/media`,
      });
      expect(byWamid.rawPayload.equals(bytes)).toBe(true);

      const signed = await h.app.inject({ method: 'GET', url: pathOf(media.url as string) });
      expect(signed.statusCode).toBe(200);
      expect(signed.rawPayload.equals(bytes)).toBe(true);
    }
  });

  it('retries a download that failed, and stores the file', async () => {
    const bytes = randomBytes(10_000);
    const file = h.sim.addMedia({ mime_type: 'image/jpeg', bytes });
    h.sim.mediaFaults(file.id, { fail_downloads: 2, status: 500 });
    const { wamid } = await h.sim.inbound({
      phone_number_id: h.account.phone_number_id,
      from: '+919812345678',
      type: 'image',
      image: { id: file.id },
    });
    await h.settle();
    const doc = await settled(h, `in:${wamid}`);
    expect(doc).toMatchObject({ status: 'stored', attempts: 3, sha256: sha256(bytes) });
    const downloads = h.sim.log.filter((e) => e.path.includes(`mid=${file.id}`));
    expect(downloads.map((e) => e.status)).toEqual([500, 500, 200]);
  });

  it('refuses a file whose sha256 is not Meta’s, keeps nothing, and says why', async () => {
    const file = h.sim.addMedia({ mime_type: 'image/jpeg', bytes: randomBytes(5_000) });
    h.sim.mediaFaults(file.id, { wrong_bytes: true });
    const { wamid } = await h.sim.inbound({
      phone_number_id: h.account.phone_number_id,
      from: '+919812345678',
      type: 'image',
      image: { id: file.id },
    });
    await h.settle();
    const doc = await settled(h, `in:${wamid}`);
    expect(doc.status).toBe('failed');
    expect(doc.error).toMatch(/^sha256 mismatch: Meta gave [0-9a-f]{64}, the file downloaded has/);
    expect(doc.attempts).toBe(1);
    const blobs = openBlobStore(h.config.media);
    expect(await blobs.get(doc.storage_key)).toBeNull();
    blobs.close();
    const res = await h.call({
      method: 'GET',
      url: `/api/messages/${encodeURIComponent(`in:${wamid}`)}/media`,
    });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({
      code: 'media_failed',
      message: expect.stringMatching(/sha256 mismatch/),
    });
  });

  it('fails a file over Meta’s limit for its type, naming the limit', async () => {
    const { messageId } = await inbound('sticker', randomBytes(600 * 1024));
    const doc = await settled(h, messageId);
    expect(doc).toMatchObject({ status: 'failed', error: expect.stringMatching(/500 KB/) });
  });

  it('gives up once Meta no longer has the id, and after the last retry', async () => {
    const file = h.sim.addMedia({ mime_type: 'image/jpeg', bytes: randomBytes(100) });
    h.sim.mediaFaults(file.id, { fail_downloads: 1 });
    const { wamid } = await h.sim.inbound({
      phone_number_id: h.account.phone_number_id,
      from: '+919812345678',
      type: 'image',
      image: { id: file.id },
    });
    await h.settle();
    await until(h, `in:${wamid}`, (doc) => doc.error !== null);
    // Before its retry, the id expires (30 days on the simulator's clock).
    h.sim.advanceClock(31 * 86_400_000);
    const gone = await settled(h, `in:${wamid}`);
    expect(gone).toMatchObject({ status: 'failed', attempts: 2 });
    expect(gone.error).toMatch(/does not exist/);

    const flaky = h.sim.addMedia({ mime_type: 'image/jpeg', bytes: randomBytes(100) });
    h.sim.mediaFaults(flaky.id, { fail_downloads: 10, status: 503 });
    const second = await h.sim.inbound({
      phone_number_id: h.account.phone_number_id,
      from: '+919812345678',
      type: 'image',
      image: { id: flaky.id },
    });
    await h.settle();
    const failed = await settled(h, `in:${second.wamid}`);
    expect(failed).toMatchObject({ status: 'failed', attempts: 3 });
    expect(failed.error).toMatch(/^Gave up after 3 attempts: /);
  });

  it('answers clearly while a file is pending, for another organization, and for bad or expired signatures', async () => {
    const file = h.sim.addMedia({ mime_type: 'image/jpeg', bytes: randomBytes(100) });
    h.sim.mediaFaults(file.id, { fail_downloads: 1_000 });
    const { wamid, messageId } = await (async () => {
      const r = await h.sim.inbound({
        phone_number_id: h.account.phone_number_id,
        from: '+919812345678',
        type: 'image',
        image: { id: file.id },
      });
      await h.settle();
      return { wamid: r.wamid, messageId: `in:${r.wamid}` };
    })();
    const pending = await h.call({
      method: 'GET',
      url: `/api/messages/${encodeURIComponent(messageId)}/media`,
    });
    expect(pending.statusCode).toBe(409);
    expect(pending.headers['retry-after']).toBe('5');
    expect(pending.json()).toMatchObject({ code: 'media_pending' });

    const text = await h.sim.inbound({
      phone_number_id: h.account.phone_number_id,
      from: '+919812345678',
      text: 'no file',
    });
    await h.settle();
    const none = await h.call({
      method: 'GET',
      url: `/api/messages/${encodeURIComponent(`in:${text.wamid}`)}/media`,
    });
    expect(none.statusCode).toBe(404);
    expect(none.json()).toMatchObject({ message: expect.stringMatching(/has no media file/) });

    const unauth = await h.app.inject({
      method: 'GET',
      url: `/api/messages/${encodeURIComponent(messageId)}/media`,
    });
    expect(unauth.statusCode).toBe(401);

    // Another organization's key cannot read it, even with its id.
    const other = await provisionOrganization(h.app.store, { name: 'Other' });
    const foreign = await h.app.inject({
      method: 'GET',
      url: `/api/messages/${encodeURIComponent(messageId)}/media`,
      headers: { 'x-api-key': other.api_key.key },
    });
    expect(foreign.statusCode).toBe(404);

    const settings = {
      publicUrl: h.config.http.publicUrl,
      secret: h.config.media.urlSecret,
      ttlMs: h.config.media.urlTtlMs,
    };
    const good = pathOf(signedMediaUrl(settings, h.account.org_id, messageId));
    const tampered = good.replace(/signature=[^&]+/, 'signature=AAAA');
    const bad = await h.app.inject({ method: 'GET', url: tampered });
    expect(bad.statusCode).toBe(403);
    expect(bad.json()).toMatchObject({ code: 'media_url_invalid' });
    // Signed for another organization: not this one's.
    const otherOrg = good.replace(h.account.org_id, other.organization.id);
    expect((await h.app.inject({ method: 'GET', url: otherOrg })).statusCode).toBe(403);
    // Made more than its lifetime ago.
    const old = pathOf(
      signedMediaUrl(settings, h.account.org_id, messageId, Date.now() - settings.ttlMs - 1_000),
    );
    const expired = await h.app.inject({ method: 'GET', url: old });
    expect(expired.statusCode).toBe(403);
    expect(expired.json()).toMatchObject({ code: 'media_url_expired' });
    // A valid signature while the file is pending: the same clear 409.
    expect((await h.app.inject({ method: 'GET', url: good })).statusCode).toBe(409);
    expect(wamid).toBeDefined();
  });
});

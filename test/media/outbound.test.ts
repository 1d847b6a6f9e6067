import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { createHash, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Env } from '../../lib/config';
import { s3Client } from '../../media/s3-blob-store';
import { provisionOrganization } from '../../scripts/provision';
import { accountSettings } from '../../store/accounts';
import { createTestApp } from '../support/app';
import { uploadMedia } from '../support/media';
import { createMessagingHarness, type MessagingHarness } from '../support/messaging';
import { campaignEnds, createCampaign, importContacts } from '../support/campaigns';
import { testS3Env } from '../support/s3';

/**
 * Outbound media end to end: the API, a real worker and the Meta simulator, on each store, with
 * the files in a folder and in an S3-compatible bucket.
 */
jest.setTimeout(240_000);

const DAY = 86_400_000;

interface SentBody {
  image?: unknown;
  sticker?: unknown;
  template: { components: { parameters: Record<string, unknown>[] }[] };
}
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

const setups: [string, () => Promise<Env>][] = [
  ['postgres, files in a folder', async () => ({ WAFLOW_STORE: 'postgres' })],
  ['mongo, files in a folder', async () => ({ WAFLOW_STORE: 'mongo' })],
  ['postgres, files in S3', async () => ({ WAFLOW_STORE: 'postgres', ...(await testS3Env()) })],
];

describe.each(setups)('%s', (setup, env) => {
  let h: MessagingHarness;
  let base: string;

  beforeAll(async () => {
    h = await createMessagingHarness({ env: { ...(await env()), SEND_POLL_MS: '100' } });
    base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
    const sync = await h.call({ method: 'POST', url: '/api/templates/sync', payload: {} });
    expect(sync.statusCode).toBe(200);
  });
  afterAll(() => h?.close());

  const upload = (
    bytes: Buffer,
    type = 'image/png',
    fields: Record<string, string> = {},
    apiKey = h.org.api_key.key,
  ) => uploadMedia(h.app, apiKey, bytes, type, fields);
  const uploadedId = async (bytes = randomBytes(1000)) => {
    const res = await upload(bytes);
    expect(res.status).toBe(201);
    return res.body.data.id;
  };
  const uploadsSeen = () =>
    h.sim.log.filter((e) => e.method === 'POST' && /\/media$/.test(e.path)).length;
  /** What the simulator was sent for a message, by its Waflow id. */
  const sentBody = (wamid: string) => h.sim.log.find((e) => e.wamid === wamid)?.body as SentBody;
  const trackOrder = (image: Record<string, unknown>) => ({
    name: 'track_order',
    language: 'en',
    components: [
      { type: 'header', parameters: [{ type: 'image', image }] },
      { type: 'body', parameters: [{ type: 'text', text: '#1042' }] },
      { type: 'button', sub_type: 'url', index: 0, parameters: [{ type: 'text', text: '1042' }] },
    ],
  });
  const sendTemplate = (to: string, template: Record<string, unknown>) =>
    h.call({
      method: 'POST',
      url: '/api/messages/send',
      payload: { to, type: 'template', template },
    });

  it('POST /api/media stores the file, uploads it to Meta for the account and answers its id', async () => {
    const before = uploadsSeen();
    const bytes = randomBytes(4096);
    const res = await upload(bytes);
    expect(res.status).toBe(201);
    const data = res.body.data;
    expect(data).toMatchObject({
      mime_type: 'image/png',
      size: 4096,
      sha256: sha256(bytes),
      filename: 'photo.png',
      whatsapp_account_id: h.account._id,
    });
    expect(uploadsSeen()).toBe(before + 1);
    const media = await h.app.store.media.get(h.account.org_id, data.id);
    expect(media).toMatchObject({ direction: 'outbound', status: 'stored', size: 4096 });
    const file = await h.app.blobs.get(media!.storage_key);
    const chunks: Buffer[] = [];
    for await (const c of file!.stream) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks)).toEqual(bytes);
    const where = h.config.media.store;
    expect(where.kind).toBe(setup.endsWith('S3') ? 's3' : 'fs');
    if (where.kind === 's3') {
      // In the bucket itself, as the file store keeps it.
      const client = s3Client(where);
      try {
        const head = await client.send(
          new HeadObjectCommand({ Bucket: where.bucket, Key: media!.storage_key }),
        );
        expect(head.ContentLength).toBe(4096);
      } finally {
        client.destroy();
      }
    }
    const uploaded = await h.app.store.mediaUploads.get(data.id, h.account._id);
    expect(uploaded?.meta_media_id).toBe(media!.meta_media_id);
    // Meta has it: GET /{media-id} describes the same bytes.
    const node = (await (
      await fetch(`${h.sim.url}/v25.0/${uploaded!.meta_media_id}`, {
        headers: { authorization: `Bearer ${h.config.meta.simulator.accessToken}` },
      })
    ).json()) as { sha256: string };
    expect(node.sha256).toBe(sha256(bytes));
  });

  it('refuses a type WhatsApp does not take (415), a file past its limit (413, naming it), no file or a malformed body (400), an unknown account (404)', async () => {
    const before = uploadsSeen();
    const gif = await upload(randomBytes(10), 'image/gif');
    expect(gif.status).toBe(415);
    expect(gif.body.message).toContain("type 'image/gif'");
    const big = await upload(Buffer.alloc(5 * 1024 * 1024 + 1), 'image/jpeg');
    expect(big.status).toBe(413);
    expect(big.body.message).toBe('file: image/jpeg files may be at most 5 MB (5242880 bytes)');
    const form = new FormData();
    form.append('type', 'image/png');
    const none = await fetch(`${base}/api/media`, {
      method: 'POST',
      headers: { 'x-api-key': h.org.api_key.key },
      body: form,
    });
    expect(none.status).toBe(400);
    expect(((await none.json()) as { message: string }).message).toContain('file: required');
    const account = await upload(randomBytes(10), 'image/png', {
      whatsapp_account: '00000000-0000-4000-8000-000000000000',
    });
    expect(account.status).toBe(404);
    const noBoundary = await h.call({
      method: 'POST',
      url: '/api/media',
      headers: { 'content-type': 'multipart/form-data' },
      payload: 'file',
    });
    expect(noBoundary.statusCode).toBe(400);
    expect(noBoundary.json().message).toMatch(/^Invalid multipart body: .*[Bb]oundary/);
    const cutOff = await h.call({
      method: 'POST',
      url: '/api/media',
      headers: { 'content-type': 'multipart/form-data; boundary=x' },
      payload: '--x\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n',
    });
    expect(cutOff.statusCode).toBe(400);
    expect(cutOff.json().message).toMatch(/^Invalid multipart body/);
    expect(uploadsSeen()).toBe(before);
  });

  it('sends an image by its id: the message carries the Meta id of the upload', async () => {
    const id = await uploadedId();
    const phone = '+447409100101';
    await h.sim.inbound({ phone_number_id: h.account.phone_number_id, from: phone, text: 'hi' });
    await h.settle();
    const metaId = (await h.app.store.mediaUploads.get(id, h.account._id))!.meta_media_id;
    const res = await h.call({
      method: 'POST',
      url: '/api/messages/send',
      payload: { to: phone, type: 'image', image: { id, caption: 'Your parcel' } },
    });
    expect(res.json()).toMatchObject({ data: { status: 'sent' } });
    expect(sentBody(res.json().data.message_id).image).toEqual({
      id: metaId,
      caption: 'Your parcel',
    });
  });

  it('sends a sticker by its id, and refuses an image given as a sticker', async () => {
    const phone = '+447409100103';
    await h.sim.inbound({ phone_number_id: h.account.phone_number_id, from: phone, text: 'hi' });
    await h.settle();
    const webp = await upload(randomBytes(2000), 'image/webp');
    expect(webp.status).toBe(201);
    const id = webp.body.data.id;
    const sent = await h.call({
      method: 'POST',
      url: '/api/messages/send',
      payload: { to: phone, type: 'sticker', sticker: { id } },
    });
    expect(sent.json()).toMatchObject({ data: { status: 'sent' } });
    const metaId = (await h.app.store.mediaUploads.get(id, h.account._id))!.meta_media_id;
    expect(sentBody(sent.json().data.message_id).sticker).toEqual({ id: metaId });

    const png = await uploadedId();
    const refused = await h.call({
      method: 'POST',
      url: '/api/messages/send',
      payload: { to: phone, type: 'sticker', sticker: { id: png } },
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().message).toContain('sticker.id');
  });

  it("refuses an unknown id, another organization's or one of the wrong kind with a 400 naming the field", async () => {
    const unknown = await h.call({
      method: 'POST',
      url: '/api/messages/send',
      payload: { to: '+447409100102', type: 'template', template: trackOrder({ id: 'nope' }) },
    });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().message).toContain('template.components[0].parameters[0].image.id');

    const pdf = await upload(randomBytes(100), 'application/pdf');
    const wrongKind = await sendTemplate('+447409100102', trackOrder({ id: pdf.body.data.id }));
    expect(wrongKind.statusCode).toBe(400);
    expect(wrongKind.json().message).toContain('is application/pdf, not an image');

    const video = await sendTemplate('+447409100102', {
      ...trackOrder({}),
      components: [
        {
          type: 'header',
          parameters: [{ type: 'video', video: { link: 'https://x.example/v.mp4' } }],
        },
        ...trackOrder({}).components.slice(1),
      ],
    });
    expect(video.statusCode).toBe(400);
    expect(video.json().message).toContain('components[0].parameters[0].type');
    expect(video.json().message).toContain('IMAGE header');

    const other = await provisionOrganization(
      h.app.store,
      { name: 'Other' },
      accountSettings(h.config).sandbox,
    );
    const theirs = await upload(randomBytes(100), 'image/png', {}, other.api_key.key);
    expect(theirs.status).toBe(201);
    const foreign = await sendTemplate('+447409100102', trackOrder({ id: theirs.body.data.id }));
    expect(foreign.statusCode).toBe(400);
    expect(foreign.json().message).toContain(`no uploaded media '${theirs.body.data.id}'`);
  });

  it('an id Meta has expired (30 days) is uploaded again and the message sent once more', async () => {
    const id = await uploadedId();
    const first = (await h.app.store.mediaUploads.get(id, h.account._id))!.meta_media_id;
    h.sim.advanceClock(30 * DAY);
    try {
      const uploads = uploadsSeen();
      const res = await sendTemplate('+447409100103', trackOrder({ id }));
      expect(res.statusCode).toBe(200);
      const second = (await h.app.store.mediaUploads.get(id, h.account._id))!.meta_media_id;
      expect(second).not.toBe(first);
      expect(uploadsSeen()).toBe(uploads + 1);
      const body = sentBody(res.json().data.message_id);
      expect(body.template.components[0]!.parameters[0]!.image).toEqual({ id: second });
      // Meta's refusal of the old id came first.
      expect(
        h.sim.log.some((e) => e.error_code === 100 && JSON.stringify(e.body).includes(first)),
      ).toBe(true);
    } finally {
      h.sim.advanceClock(-30 * DAY);
    }
  });

  it('an upload known to be near its 30 days is uploaded again before the send', async () => {
    const id = await uploadedId();
    const old = (await h.app.store.mediaUploads.get(id, h.account._id))!;
    await h.app.store.mediaUploads.record({
      ...old,
      uploaded_at: new Date(Date.now() - 29.5 * DAY),
    });
    const refusedBefore = h.sim.log.filter((e) => e.error_code === 100).length;
    const res = await sendTemplate('+447409100104', trackOrder({ id }));
    expect(res.statusCode).toBe(200);
    const now = (await h.app.store.mediaUploads.get(id, h.account._id))!;
    expect(now.meta_media_id).not.toBe(old.meta_media_id);
    expect(
      sentBody(res.json().data.message_id).template.components[0]!.parameters[0]!.image,
    ).toEqual({
      id: now.meta_media_id,
    });
    expect(h.sim.log.filter((e) => e.error_code === 100).length).toBe(refusedBefore);
  });

  it('a campaign with an image header uploads it once and sends every recipient the same Meta id', async () => {
    const id = await uploadedId();
    const metaId = (await h.app.store.mediaUploads.get(id, h.account._id))!.meta_media_id;
    const phones = await importContacts(h, 8, 'spring-images', '771');
    const uploads = uploadsSeen();
    const campaign = await createCampaign(h, {
      name: 'Spring images',
      audience: { tags: ['spring-images'] },
      mode: 'anytime',
      message: { type: 'template', template: trackOrder({ id }) },
    });
    await campaignEnds(h, campaign.id);
    expect(uploadsSeen()).toBe(uploads);
    const wanted = new Set(phones.map((p) => p.replace('+', '')));
    const sends = (h.sim.sends({ full: true }).sends ?? []).filter((s) => wanted.has(s.recipient));
    expect(sends).toHaveLength(8);
    for (const s of sends) {
      expect(sentBody(s.wamid).template.components[0]!.parameters[0]!.image).toEqual({
        id: metaId,
      });
    }
  });
});

it('the OpenAPI document shows POST /api/media with its multipart body', async () => {
  const t = await createTestApp();
  try {
    const res = await t.app.inject({ method: 'GET', url: '/api/openapi.json' });
    const doc = res.json<{
      paths: Record<string, { post: { requestBody: { content: Record<string, FormDoc> } } }>;
    }>();
    const form = doc.paths['/api/media']!.post.requestBody.content['multipart/form-data']!;
    expect(form.schema.properties.file).toMatchObject({ type: 'string', format: 'binary' });
    expect(form.schema.required).toEqual(['file']);
  } finally {
    await t.close();
  }
});

interface FormDoc {
  schema: { properties: Record<string, unknown>; required: string[] };
}

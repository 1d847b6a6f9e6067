import { createHash, randomBytes } from 'node:crypto';
import { CUSTOMER, PHONE_ID, startHarness, TOKEN, type Harness } from './helpers';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const DAY = 86_400_000;

interface GraphError {
  error: { code: number; message: string; error_data?: { details: string } };
}

describe('Meta simulator: uploaded media', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(() => h.close());

  const upload = (
    bytes: Buffer,
    fields: Record<string, string> = { type: 'image/png', messaging_product: 'whatsapp' },
    opts: { phoneId?: string; token?: string } = {},
  ) => {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(bytes)], { type: 'image/png' }), 'photo.png');
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    return fetch(`${h.sim.url}/v25.0/${opts.phoneId ?? PHONE_ID}/media`, {
      method: 'POST',
      headers: { authorization: `Bearer ${opts.token ?? TOKEN}` },
      body: form,
    });
  };
  const uploaded = async (bytes: Buffer) => {
    const res = await upload(bytes);
    expect(res.status).toBe(200);
    return ((await res.json()) as { id: string }).id;
  };
  const graph = (path: string, method = 'GET') =>
    fetch(`${h.sim.url}/v25.0/${path}`, { method, headers: { authorization: `Bearer ${TOKEN}` } });
  const imageSend = (id: string) => ({
    messaging_product: 'whatsapp',
    to: CUSTOMER,
    type: 'image',
    image: { id },
  });
  const headerSend = (id: string) => ({
    messaging_product: 'whatsapp',
    to: CUSTOMER,
    type: 'template',
    template: {
      name: 'track_order',
      language: { code: 'en' },
      components: [
        { type: 'header', parameters: [{ type: 'image', image: { id } }] },
        { type: 'body', parameters: [{ type: 'text', text: '#1' }] },
        { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: '1' }] },
      ],
    },
  });

  it('POST /{phone-number-id}/media answers an id that GET /{media-id} describes and serves', async () => {
    const bytes = randomBytes(2048);
    const id = await uploaded(bytes);
    expect(id).toMatch(/^\d+$/);
    const node = (await (await graph(id)).json()) as Record<string, unknown>;
    expect(node).toEqual({
      messaging_product: 'whatsapp',
      url: expect.stringContaining('/whatsapp_business/attachments/?mid='),
      mime_type: 'image/png',
      sha256: sha256(bytes),
      file_size: 2048,
      id,
    });
    const file = await fetch(node.url as string, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(Buffer.from(await file.arrayBuffer())).toEqual(bytes);
  });

  it("refuses what Meta refuses: another type, a file past its type's limit, no messaging_product or file", async () => {
    const wrongType = await upload(randomBytes(10), {
      type: 'image/gif',
      messaging_product: 'whatsapp',
    });
    expect(wrongType.status).toBe(400);
    const wrong = (await wrongType.json()) as GraphError;
    expect(wrong.error.code).toBe(100);
    expect(wrong.error.error_data?.details).toContain("Received file of type 'image/gif'");

    // type first: the image limit (5 MB) applies as the bytes arrive.
    const big = await upload(Buffer.alloc(5 * 1024 * 1024 + 1), {
      type: 'image/png',
      messaging_product: 'whatsapp',
    });
    expect(big.status).toBe(400);
    expect(((await big.json()) as GraphError).error.error_data?.details).toContain(
      `at most ${5 * 1024 * 1024} bytes for type image/png`,
    );
    // A sticker's limit applies after the file when its type comes last.
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(600 * 1024)]), 's.webp');
    form.append('type', 'image/webp');
    form.append('messaging_product', 'whatsapp');
    const sticker = await fetch(`${h.sim.url}/v25.0/${PHONE_ID}/media`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
      body: form,
    });
    expect(sticker.status).toBe(400);

    const noProduct = await upload(randomBytes(10), { type: 'image/png' });
    expect(((await noProduct.json()) as GraphError).error.error_data?.details).toBe(
      'The parameter messaging_product is required.',
    );
    const noFile = new FormData();
    noFile.append('type', 'image/png');
    noFile.append('messaging_product', 'whatsapp');
    const missing = await fetch(`${h.sim.url}/v25.0/${PHONE_ID}/media`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
      body: noFile,
    });
    expect(((await missing.json()) as GraphError).error.error_data?.details).toBe(
      'The parameter file is required.',
    );
  });

  it('sends by id: a media message and a template header; an unknown id is refused with 100 naming it', async () => {
    const id = await uploaded(randomBytes(100));
    expect((await h.send(imageSend(id))).status).toBe(200);
    expect((await h.send(headerSend(id))).status).toBe(200);

    const unknown = await h.send(imageSend('1234567890'));
    expect(unknown.status).toBe(400);
    const err = (await unknown.json()) as GraphError;
    expect(err.error.code).toBe(100);
    expect(err.error.error_data?.details).toBe(
      "Param image['id'] is not a valid whatsapp business account media attachment ID",
    );
    const header = (await (await h.send(headerSend('1234567890'))).json()) as GraphError;
    expect(header.error.error_data?.details).toContain(
      "template['components'][0]['parameters'][0]['image']['id']",
    );
  });

  it('an uploaded id expires 30 days after its upload on the simulator clock', async () => {
    const id = await uploaded(randomBytes(100));
    h.sim.advanceClock(30 * DAY - 1000);
    expect((await h.send(headerSend(id))).status).toBe(200);
    h.sim.advanceClock(1000);
    const refused = await h.send(headerSend(id));
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as GraphError).error.code).toBe(100);
    const read = await graph(id);
    expect(read.status).toBe(400);
    expect(((await read.json()) as GraphError).error.code).toBe(100);
  });

  it('DELETE /{media-id} forgets the file: reads and sends by its id are refused', async () => {
    const id = await uploaded(randomBytes(100));
    const otherNumber = await graph(`${id}?phone_number_id=999`, 'DELETE');
    expect(otherNumber.status).toBe(400);
    const res = await graph(`${id}?phone_number_id=${PHONE_ID}`, 'DELETE');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ success: true });
    expect((await graph(id)).status).toBe(400);
    expect((await h.send(headerSend(id))).status).toBe(400);
    expect((await graph(id, 'DELETE')).status).toBe(400);
  });
});

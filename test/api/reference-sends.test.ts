import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createMessagingHarness, type MessagingHarness } from '../support/messaging';

/**
 * The reference's own send examples (aisoule-help-center.md: "Sending messages via API",
 * "Advanced API messaging", the Zapier action), replayed as they are against the API and the
 * simulator, with the answers the reference documents: `{"data": {"message_id": "wamid...",
 * "status": "sent"}}`, or `{"message", "status": "error"}` with its texts and status codes.
 */

type Body = Record<string, unknown> & { to: string; template?: Record<string, unknown> };

/** A fixture: its first line names the reference section, the rest is the body as printed. */
const fixture = (name: string): Body =>
  JSON.parse(
    readFileSync(join(__dirname, '../fixtures/reference', `${name}.txt`), 'utf8')
      .split('\n')
      .filter((line) => !line.startsWith('//'))
      .join('\n'),
  ) as Body;

let h: MessagingHarness;
beforeAll(async () => {
  h = await createMessagingHarness();
  // The templates the reference's examples name, as its pages describe them.
  const waba = h.account.waba_id;
  const text = (s: string) => ({ type: 'BODY' as const, text: s });
  h.sim.addTemplate(waba, {
    name: 'order_confirmation',
    language: 'en',
    category: 'UTILITY',
    components: [text('Hi {{1}}, your order #{{2}} is confirmed!')],
  });
  h.sim.addTemplate(waba, {
    name: 'order_shipped',
    language: 'en',
    category: 'UTILITY',
    components: [
      { type: 'HEADER', format: 'IMAGE', example: { header_handle: ['https://x.example/a.jpg'] } },
      text('Hi {{1}}, your order #{{2}} has been shipped. It arrives on {{3}}.'),
    ],
  });
  h.sim.addTemplate(waba, {
    name: 'track_order',
    language: 'en',
    category: 'UTILITY',
    components: [
      text('Your order {{1}} has shipped.'),
      {
        type: 'BUTTONS',
        buttons: [{ type: 'URL', text: 'Track', url: 'https://shop.example/track/{{1}}' }],
      },
    ],
  });
  // Known in en_US only, as Meta's sample template is: the reference's "en" must still send.
  h.sim.addTemplate(waba, {
    name: 'order_confirmation_us',
    language: 'en_US',
    category: 'UTILITY',
    components: [text('Hi {{1}}, your order #{{2}} is confirmed!')],
  });
  h.sim.addTemplate(waba, {
    name: 'order_pending',
    language: 'en',
    category: 'UTILITY',
    status: 'PENDING',
    components: [text('Hi {{1}}, your order #{{2}} is confirmed!')],
  });
  const sync = await h.call({ method: 'POST', url: '/api/templates/sync', payload: {} });
  expect(sync.statusCode).toBe(200);
});
afterAll(() => h.close());
beforeEach(() => h.sim.clearLog());

let n = 0;
/** The reference's number, made fresh per test so windows never leak between them. */
const fresh = (body: Body): Body => ({ ...body, to: `+9198765${String(43210 + n++)}` });

const send = (payload: Record<string, unknown>, headers: Record<string, string> = {}) =>
  h.call({ method: 'POST', url: '/api/messages/send', payload, headers });

const sends = () => h.sim.log.filter((e) => e.method === 'POST' && e.path.endsWith('/messages'));

async function customerWrites(from: string) {
  await h.sim.inbound({
    phone_number_id: h.account.phone_number_id,
    from,
    type: 'text',
    text: 'Hi',
  });
  await h.settle();
}

/** The reference's success answer. */
function expectSent(res: Awaited<ReturnType<typeof send>>) {
  expect(res.statusCode).toBe(200);
  expect(res.json()).toMatchObject({
    data: { message_id: expect.stringMatching(/^wamid\./), status: 'sent' },
    status: 'success',
  });
}

/** The reference's error answer: its text first, details after; Waflow's code beside it. */
function expectError(res: Awaited<ReturnType<typeof send>>, status: number, text: string) {
  expect(res.statusCode).toBe(status);
  const body = res.json();
  expect(body).toEqual({ message: expect.any(String), status: 'error', code: expect.any(String) });
  expect(body.message.startsWith(text)).toBe(true);
  return body as { message: string; code: string };
}

describe("the reference's send examples", () => {
  it('sends the template example (order_confirmation, "en")', async () => {
    const res = await send(fresh(fixture('messages-send-template')));
    expectSent(res);
    expect(res.json().data.language_used).toBe('en');
  });

  it('sends the template example to an account that has it in en_US only, saying so', async () => {
    const body = fresh(fixture('messages-send-template'));
    body.template = { ...body.template, name: 'order_confirmation_us' };
    const res = await send(body);
    expectSent(res);
    expect(res.json().data.language_used).toBe('en_US');
    expect(sends()[0]!.body).toMatchObject({ template: { language: { code: 'en_US' } } });
  });

  it('sends the image-header and URL-button template examples', async () => {
    expectSent(await send(fresh(fixture('messages-send-template-image-header'))));
    expectSent(await send(fresh(fixture('messages-send-template-url-button'))));
  });

  it("refuses the text example outside the 24-hour window, in the reference's words", async () => {
    const body = expectError(
      await send(fresh(fixture('messages-send-text'))),
      400,
      'Outside service window',
    );
    // The send page's own error example, word for word.
    expect(body.message).toContain('Outside 24-hour window. Use a template message.');
    expect(body.code).toBe('outside_window');
    expect(sends()).toHaveLength(0);
  });

  it.each(['messages-send-text', 'messages-send-media', 'messages-send-interactive-buttons'])(
    'sends the %s example once the customer has written',
    async (name) => {
      const body = fresh(fixture(name));
      await customerWrites(body.to);
      expectSent(await send(body));
    },
  );

  it('sends from the account the example names', async () => {
    const body = fresh(fixture('messages-send-whatsapp-account'));
    await customerWrites(body.to);
    expectSent(await send({ ...body, whatsapp_account: h.account._id }));
  });
});

describe("the reference's error answers", () => {
  it("404 for a template that does not exist (the Zapier example's your_template)", async () => {
    const body = fresh(fixture('messages-send-zapier-template'));
    const res = await send(body);
    // "Template 'xyz' not found or not approved", the advanced page's failure example.
    const error = expectError(res, 404, "Template 'your_template' not found or not approved");
    expect(error.code).toBe('template_not_found');
  });

  it('400 "Template not approved" for a pending template, naming it and its status', async () => {
    const body = fresh(fixture('messages-send-template'));
    body.template = { ...body.template, name: 'order_pending' };
    const error = expectError(await send(body), 400, 'Template not approved');
    expect(error).toEqual({
      message: 'Template not approved: order_pending (en) is PENDING',
      status: 'error',
      code: 'template_not_approved',
    });
  });

  it('400 "Invalid phone number" for the Zapier example\'s unfilled {{phone_number}}', async () => {
    const error = expectError(
      await send(fixture('messages-send-zapier-template')),
      400,
      'Invalid phone number',
    );
    expect(error.code).toBe('validation_failed');
  });

  it('400 "Invalid request" for a missing field, 404 for a contact that does not exist', async () => {
    const { to: _to, ...text } = fixture('messages-send-text');
    expectError(
      await send(text),
      400,
      'Invalid request: give exactly one of to, user_id or contact_id',
    );
    const { type: _type, text: _text, ...noContent } = fresh(fixture('messages-send-text'));
    expectError(await send(noContent), 400, 'Invalid request: body');
    expectError(await send({ ...text, contact_id: 'nobody' }), 404, "Contact 'nobody' not found");
  });

  it('401 "Invalid API key"', async () => {
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/messages/send',
      payload: fresh(fixture('messages-send-text')),
      headers: { 'x-api-key': 'wf_not_a_key' },
    });
    expectError(res, 401, 'Invalid API key');
  });

  it('400 "Recipient not on WhatsApp" when Meta refuses the number', async () => {
    h.sim.failNext(1, {
      httpStatus: 400,
      code: 131026,
      message: '(#131026) Message Undeliverable',
    });
    const error = expectError(
      await send(fresh(fixture('messages-send-template'))),
      400,
      'Recipient not on WhatsApp',
    );
    expect(error.code).toBe('message_failed');
  });

  it('400 "Outside service window" when Meta refuses with 131047, naming Meta\'s reason', async () => {
    const body = fresh(fixture('messages-send-text'));
    await customerWrites(body.to);
    h.sim.failNext(1, {
      httpStatus: 400,
      code: 131047,
      message: '(#131047) Re-engagement message',
    });
    const error = expectError(
      await send(body),
      400,
      'Outside service window: Re-engagement message',
    );
    expect(error.code).toBe('outside_window');
  });
});

import {
  CUSTOMER,
  CUSTOMER_WA_ID,
  errorOf,
  json,
  PHONE_ID,
  startHarness,
  template,
  text,
  textParams,
  TOKEN,
  wamidOf,
  type Harness,
  type SendAnswer,
} from './helpers';

const WAMID = /^wamid\.[A-Za-z0-9+/]+=*$/;
const IMAGE_HEADER = {
  type: 'header',
  parameters: [{ type: 'image', image: { link: 'https://cdn.example/p.jpg' } }],
};

describe('Meta simulator: sending messages', () => {
  let h: Harness;

  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(() => h.close());

  it('accepts a text message with the Cloud API answer and logs the request', async () => {
    const body = text('Hi', '+91 98765-43210');
    const first = await h.send(body);
    const second = await h.send(body);
    expect(first.status).toBe(200);
    const answer = await json<SendAnswer>(first);
    expect(answer).toEqual({
      messaging_product: 'whatsapp',
      contacts: [{ input: '+91 98765-43210', wa_id: CUSTOMER_WA_ID }],
      messages: [{ id: expect.stringMatching(WAMID) }],
    });
    expect(await wamidOf(second)).not.toBe(answer.messages[0]!.id);
    expect(h.sim.log[0]).toMatchObject({
      method: 'POST',
      path: `/v25.0/${PHONE_ID}/messages`,
      authorization: true,
      body,
      status: 200,
      error_code: null,
      wamid: answer.messages[0]!.id,
      outcome: 'answered',
    });
  });

  it('answers 190 to a missing or wrong token, and takes the token as a query parameter', async () => {
    for (const token of [null, 'not-the-token']) {
      const res = await h.send(text(), { token });
      expect(res.status).toBe(401);
      expect(await json<unknown>(res)).toEqual({
        error: {
          message: 'Invalid OAuth access token - Cannot parse access token',
          type: 'OAuthException',
          code: 190,
          fbtrace_id: expect.any(String),
        },
      });
    }
    expect(h.sim.log.map((e) => [e.authorization, e.error_code, e.wamid])).toEqual([
      [false, 190, null],
      [true, 190, null],
    ]);
    const viaQuery = await fetch(`${h.sim.url}/v25.0/${PHONE_ID}/messages?access_token=${TOKEN}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(text()),
    });
    expect(viaQuery.status).toBe(200);
  });

  it.each([
    [
      { to: CUSTOMER, type: 'text', text: { body: 'x' } },
      'The parameter messaging_product is required.',
    ],
    [
      { messaging_product: 'whatsapp', type: 'text', text: { body: 'x' } },
      'The parameter to is required.',
    ],
    [
      { ...text(), to: 'call me' },
      'The parameter to must be a phone number with its country code.',
    ],
    [{ ...text(), type: 'fax' }, 'The parameter type must be one of:'],
    [{ ...text(), text: {} }, "The parameter text['body'] is required."],
    [
      { messaging_product: 'whatsapp', to: CUSTOMER, type: 'image', image: { caption: 'c' } },
      "The parameter image requires either 'id' or 'link'.",
    ],
    [
      {
        messaging_product: 'whatsapp',
        to: CUSTOMER,
        type: 'template',
        template: { name: 'hello_world' },
      },
      "The parameter template['language'] is required.",
    ],
    [
      { messaging_product: 'whatsapp', to: CUSTOMER, type: 'contacts', contacts: [{ name: {} }] },
      "The parameter contacts[0]['name']['formatted_name'] is required.",
    ],
    ['{"messaging_product": "whatsapp", ', 'The request could not be read'],
  ])('answers (#100) Invalid parameter naming what is wrong: %#', async (body, details) => {
    const res = await h.send(body);
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error).toMatchObject({
      message: '(#100) Invalid parameter',
      type: 'OAuthException',
      code: 100,
      error_data: { messaging_product: 'whatsapp' },
    });
    expect(error.error_data?.details).toContain(details);
    expect(h.sim.log.at(-1)).toMatchObject({ status: 400, error_code: 100, wamid: null });
  });

  it('accepts every message type it documents', async () => {
    // A media id must be one the simulator has (Meta refuses others with 100).
    const invoice = h.sim.addMedia({ mime_type: 'application/pdf', bytes: Buffer.from('%PDF') });
    const bodies = [
      { type: 'image', image: { link: 'https://cdn.example/p.jpg', caption: 'Your parcel' } },
      { type: 'document', document: { id: invoice.id, filename: 'invoice.pdf' } },
      { type: 'audio', audio: { link: 'https://cdn.example/a.ogg' } },
      { type: 'location', location: { latitude: 12.97, longitude: 77.59, name: 'Store' } },
      { type: 'contacts', contacts: [{ name: { formatted_name: 'Ravi' } }] },
      {
        type: 'interactive',
        interactive: {
          type: 'list',
          body: { text: 'Choose a slot' },
          action: {
            button: 'Slots',
            sections: [{ title: 'Today', rows: [{ id: 'am', title: 'Morning' }] }],
          },
        },
      },
    ];
    for (const b of bodies) {
      const res = await h.send({ messaging_product: 'whatsapp', to: CUSTOMER, ...b });
      expect([b.type, res.status]).toEqual([b.type, 200]);
    }
  });
});

describe('Meta simulator: templates on send', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ statusWebhooks: { enabled: false } });
  });
  afterAll(() => h.close());

  it('accepts an approved template with the right parameters, marked accepted', async () => {
    const res = await h.send(
      template('order_confirmation', [{ type: 'body', parameters: textParams('Asha', '#1042') }]),
    );
    expect(res.status).toBe(200);
    const answer = await json<SendAnswer>(res);
    expect(answer.messages).toEqual([
      { id: expect.stringMatching(WAMID), message_status: 'accepted' },
    ]);
    const hello = await h.send(template('hello_world', [], 'en_US'));
    expect(hello.status).toBe(200);
  });

  it.each([
    [
      'an unknown template',
      'no_such_template',
      'en',
      'template name (no_such_template) does not exist in en',
    ],
    [
      'a pending template',
      'promo_pending',
      'en',
      'template name (promo_pending) does not exist in en',
    ],
    [
      'a rejected template',
      'promo_rejected',
      'en',
      'template name (promo_rejected) does not exist in en',
    ],
    [
      'another language',
      'order_confirmation',
      'en_US',
      'template name (order_confirmation) does not exist in en_US',
    ],
  ])('answers 132001 for %s', async (_what, name, language, details) => {
    const res = await h.send(template(name, [], language));
    expect(res.status).toBe(404);
    expect(await errorOf(res)).toMatchObject({
      code: 132001,
      message: '(#132001) Template name does not exist in the translation',
      error_data: { messaging_product: 'whatsapp', details },
    });
  });

  it.each([
    [
      'too few body parameters',
      template('order_confirmation', [{ type: 'body', parameters: textParams('Asha') }]),
      'body: number of localizable_params (1) does not match the expected number of params (2)',
    ],
    [
      'a missing image header',
      template('track_order', [
        { type: 'body', parameters: textParams('#1042') },
        { type: 'button', sub_type: 'url', index: '0', parameters: textParams('1042') },
      ]),
      'header: number of localizable_params (0) does not match the expected number of params (1)',
    ],
    [
      'a missing URL button parameter',
      template('track_order', [IMAGE_HEADER, { type: 'body', parameters: textParams('#1042') }]),
      'button at index 0: number of localizable_params (0) does not match the expected number of params (1)',
    ],
    [
      'the old three parameters to order_shipped',
      template('order_shipped', [{ type: 'body', parameters: textParams('Asha', '1042', 'x') }]),
      'body: number of localizable_params (3) does not match the expected number of params (2)',
    ],
    [
      'parameters for a template that takes none',
      template('hello_world', [{ type: 'body', parameters: textParams('x') }], 'en_US'),
      'body: number of localizable_params (1) does not match the expected number of params (0)',
    ],
  ])('answers 132000 for %s, naming expected and given', async (_what, body, details) => {
    const res = await h.send(body);
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toMatchObject({
      code: 132000,
      message: '(#132000) Number of parameters does not match the expected number of params',
      error_data: { messaging_product: 'whatsapp', details },
    });
  });

  it('accepts media headers and URL buttons counted per component', async () => {
    const shipped = template('order_shipped', [
      { type: 'body', parameters: textParams('1042', 'https://track.example/1042') },
    ]);
    const track = template('track_order', [
      IMAGE_HEADER,
      { type: 'body', parameters: textParams('#1042') },
      { type: 'button', sub_type: 'url', index: '0', parameters: textParams('1042') },
    ]);
    expect((await h.send(shipped)).status).toBe(200);
    expect((await h.send(track)).status).toBe(200);
  });

  it('uses templates added at run time, on the number’s WABA only', async () => {
    const waba = h.sim.phoneNumber(PHONE_ID).wabaId;
    h.sim.addTemplate(waba, {
      name: 'otp',
      language: 'en',
      category: 'AUTHENTICATION',
      components: [{ type: 'BODY', text: 'Your code is {{1}}' }],
    });
    const body = template('otp', [{ type: 'body', parameters: textParams('123456') }]);
    expect((await h.send(body)).status).toBe(200);
    expect((await h.send(body, { phoneId: '999000111222333' })).status).toBe(404);
  });
});

describe('Meta simulator: limits and injected failures', () => {
  let h: Harness;

  beforeEach(async () => {
    h = await startHarness({ throughputPerSecond: 3 });
  });
  afterEach(() => h.close());

  it('answers 130429 above the per-number throughput, and accepts again a second later', async () => {
    for (let i = 0; i < 3; i++) expect((await h.send(text())).status).toBe(200);
    const limited = await h.send(text());
    expect(limited.status).toBe(429);
    const error = await errorOf(limited);
    expect(error).toMatchObject({ code: 130429, message: '(#130429) Rate limit hit' });
    expect(error.error_data?.details).toContain('too many messages');
    expect(h.sim.log.at(-1)).toMatchObject({ error_code: 130429, wamid: null });
    // Another number has its own budget.
    expect((await h.send(text(), { phoneId: '200000000000001' })).status).toBe(200);
    h.clock.advance(999);
    expect((await h.send(text())).status).toBe(429);
    h.clock.advance(1);
    expect((await h.send(text())).status).toBe(200);
  });

  it('fails the next sends with the injected Meta errors, in order', async () => {
    h.sim.failNext(1, {
      httpStatus: 503,
      code: 131057,
      message: '(#131057) Account in maintenance mode',
      details: 'Business Account is in maintenance mode',
    });
    h.sim.failNext(1, {
      httpStatus: 401,
      code: 190,
      message: 'Error validating access token: Session has expired',
    });
    h.sim.failNext(1, {
      httpStatus: 400,
      code: 131026,
      message: '(#131026) Message Undeliverable',
      details: 'Recipient is not a WhatsApp user',
    });
    h.sim.failNext(1, { httpStatus: 500, code: 2, message: 'Service temporarily unavailable' });
    const answers: [number, number | string][] = [];
    for (let i = 0; i < 5; i++) {
      const res = await h.send(text());
      answers.push([res.status, res.ok ? 'ok' : (await errorOf(res)).code]);
    }
    expect(answers).toEqual([
      [503, 131057],
      [401, 190],
      [400, 131026],
      [500, 2],
      [200, 'ok'],
    ]);
    const first = h.sim.log[0]!;
    expect(first).toMatchObject({ status: 503, error_code: 131057, wamid: null });
  });

  it('drops the connection after accepting the message when asked to', async () => {
    h.sim.failNext(1, { kind: 'drop' });
    await expect(h.send(text())).rejects.toThrow();
    const entry = h.sim.log[0]!;
    expect(entry).toMatchObject({ outcome: 'dropped', status: null });
    expect(entry.wamid).toMatch(WAMID);
    // The message was accepted: its statuses still arrive.
    await h.sim.idle();
    expect(h.receiver.statuses().map((s) => s.id)).toContain(entry.wamid);
    expect((await h.send(text())).status).toBe(200);
  });

  it('refuses the connection before recording anything when asked to', async () => {
    h.sim.failNext(1, { kind: 'refuse' });
    await expect(h.send(text())).rejects.toThrow();
    expect(h.sim.log[0]).toMatchObject({ outcome: 'refused', status: null, wamid: null });
    await h.sim.idle();
    expect(h.sim.webhookLog).toHaveLength(0);
  });

  it('answers 131000 at the configured failure rate, and delays answers by the latency', async () => {
    h.sim.setOptions({ failureRate: 1 });
    const res = await h.send(text());
    expect(res.status).toBe(500);
    expect(await errorOf(res)).toMatchObject({
      code: 131000,
      message: '(#131000) Something went wrong',
    });
    h.sim.setOptions({ failureRate: 0, latencyMs: 150 });
    const started = performance.now();
    expect((await h.send(text())).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('refuses options out of range', () => {
    expect(() => h.sim.setOptions({ failureRate: 2 })).toThrow(/failureRate/);
    expect(h.sim.options.failureRate).toBe(0);
  });
});

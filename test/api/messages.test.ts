import { createMessagingHarness, type MessagingHarness } from '../support/messaging';

let h: MessagingHarness;
beforeAll(async () => {
  h = await createMessagingHarness();
  // Regional variants only: the reference names templates by their bare language, "en".
  const body = (text: string) => [{ type: 'BODY' as const, text }];
  for (const [name, language, status] of [
    ['shipping_update', 'en_US', 'APPROVED'],
    ['seasonal_offer', 'en_US', 'APPROVED'],
    ['seasonal_offer', 'en_GB', 'APPROVED'],
    ['order_update', 'en_US', 'PENDING'],
    ['order_update', 'en_GB', 'REJECTED'],
  ] as const) {
    h.sim.addTemplate(h.account.waba_id, {
      name,
      language,
      status,
      category: 'UTILITY',
      components: body(`${name} in ${language}`),
    });
  }
  const sync = await h.call({ method: 'POST', url: '/api/templates/sync', payload: {} });
  expect(sync.statusCode).toBe(200);
});
afterAll(() => h.close());
beforeEach(() => h.sim.clearLog());

let n = 0;
/** A fresh customer number per test, so windows and contacts never leak between tests. */
const newNumber = () => `+1415555${String(1000 + n++).padStart(4, '0')}`;

const send = (payload: Record<string, unknown>, headers: Record<string, string> = {}) =>
  h.call({ method: 'POST', url: '/api/messages/send', payload, headers });

const orderConfirmation = (to: string, params = ['John', 'ORD-789']) => ({
  to,
  type: 'template',
  template: {
    name: 'order_confirmation',
    language: 'en',
    components: [{ type: 'body', parameters: params.map((text) => ({ type: 'text', text })) }],
  },
});

const sends = () => h.sim.log.filter((e) => e.method === 'POST' && e.path.endsWith('/messages'));
const accepted = () => sends().filter((e) => e.wamid);

async function events(type: string) {
  return h.app.store.events.list(h.org.organization.id, { type }, 1000);
}

/** The customer writes first: opens the 24 h window. */
async function customerWrites(from: string, text = 'Hi!') {
  await h.sim.inbound({
    phone_number_id: h.account.phone_number_id,
    from,
    name: 'Ana',
    type: 'text',
    text,
  });
  await h.settle();
}

describe('POST /api/messages/send', () => {
  it('sends a template to a new number, creating the contact, and tracks its statuses', async () => {
    const to = newNumber();
    const res = await send(orderConfirmation(to));
    expect(res.statusCode).toBe(200);
    const { message_id, id, status } = res.json().data;
    expect(status).toBe('sent');
    expect(message_id).toMatch(/^wamid\./);

    const [request] = accepted();
    expect(request!.body).toMatchObject({
      messaging_product: 'whatsapp',
      to: to.slice(1),
      type: 'template',
      template: { name: 'order_confirmation', language: { code: 'en' } },
      biz_opaque_callback_data: id,
    });

    const contact = await h.app.store.contacts.findByPhone(h.org.organization.id, to);
    expect(contact).toMatchObject({ source: 'api' });
    expect(
      (await events('contact.created')).filter((e) => e.data.id === contact!._id),
    ).toHaveLength(1);

    await h.settle();
    const stored = await h.app.store.messages.get(h.org.organization.id, id);
    expect(stored).toMatchObject({
      wamid: message_id,
      status: 'read',
      origin: 'api',
      contact_id: contact!._id,
    });
    // Each status once; Meta may deliver `read` before `delivered`.
    expect(stored!.status_history.map((s) => s.status).sort()).toEqual([
      'delivered',
      'queued',
      'read',
      'sent',
    ]);
    for (const type of ['message.sent', 'message.delivered', 'message.read']) {
      const mine = (await events(type)).filter((e) => e.data.message_id === message_id);
      expect(mine).toHaveLength(1);
      expect(mine[0]!.data).toMatchObject({
        message_id,
        wamid: message_id,
        id,
        to,
        type: 'template',
      });
    }
  });

  it('refuses free-form text outside the 24 h window, without sending', async () => {
    const res = await send({ to: newNumber(), type: 'text', text: 'Hello!' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      message: 'Outside service window: Outside 24-hour window. Use a template message.',
      status: 'error',
      code: 'outside_window',
    });
    expect(sends()).toHaveLength(0);
  });

  it('sends free-form text once the customer has written', async () => {
    const to = newNumber();
    await customerWrites(to);
    const contact = await h.app.store.contacts.findByPhone(h.org.organization.id, to);
    expect(contact).toMatchObject({ source: 'whatsapp_webhook', name: 'Ana' });
    const res = await send({ to, type: 'text', text: 'Hello! Your order has been shipped.' });
    expect(res.statusCode).toBe(200);
    expect(accepted()[0]!.body).toMatchObject({
      type: 'text',
      text: { body: 'Hello! Your order has been shipped.' },
    });
  });

  it('sends media and interactive messages in their Meta shapes', async () => {
    const to = newNumber();
    await customerWrites(to);
    const image = await send({
      to,
      type: 'image',
      image: { url: 'https://example.com/product.jpg', caption: 'New' },
    });
    expect(image.statusCode).toBe(200);
    const buttons = await send({
      to,
      type: 'interactive',
      interactive: {
        type: 'button',
        body: { text: 'How can we help?' },
        action: { buttons: [{ type: 'reply', reply: { id: 'sales', title: 'Sales' } }] },
      },
    });
    expect(buttons.statusCode).toBe(200);
    expect(accepted().map((e) => e.body)).toEqual([
      expect.objectContaining({
        type: 'image',
        image: { link: 'https://example.com/product.jpg', caption: 'New' },
      }),
      expect.objectContaining({
        type: 'interactive',
        interactive: expect.objectContaining({ type: 'button' }),
      }),
    ]);
  });

  it.each([
    [
      'an unknown template',
      { name: 'no_such_template' },
      404,
      "Template 'no_such_template' not found or not approved: the WhatsApp account has none in en",
      'template_not_found',
    ],
    [
      'a pending template',
      { name: 'promo_pending' },
      400,
      'Template not approved: promo_pending (en) is PENDING',
      'template_not_approved',
    ],
  ])('refuses %s', async (_what, template, status, message, code) => {
    const res = await send({
      to: newNumber(),
      type: 'template',
      template: { language: 'en', ...template },
    });
    expect(res.statusCode).toBe(status);
    expect(res.json()).toEqual({ message, status: 'error', code });
    expect(sends()).toHaveLength(0);
  });

  describe('template language', () => {
    const template = (name: string, language: string) => ({
      to: newNumber(),
      type: 'template',
      template: { name, language },
    });

    it("sends a bare language in the account's one approved variant, and says which", async () => {
      const res = await send(template('shipping_update', 'en'));
      expect(res.statusCode).toBe(200);
      expect(res.json().data).toMatchObject({ status: 'sent', language_used: 'en_US' });
      expect(accepted()[0]!.body).toMatchObject({
        template: { name: 'shipping_update', language: { code: 'en_US' } },
      });
    });

    it('sends an exact language as it is', async () => {
      const res = await send(template('seasonal_offer', 'en_GB'));
      expect(res.statusCode).toBe(200);
      expect(res.json().data.language_used).toBe('en_GB');
      expect(accepted()[0]!.body).toMatchObject({ template: { language: { code: 'en_GB' } } });
    });

    it('refuses a bare language with several approved variants, listing them', async () => {
      const res = await send(template('seasonal_offer', 'en'));
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({
        message:
          'Template language ambiguous: seasonal_offer is approved in en_GB, en_US; ' +
          'name one of them as the language',
        status: 'error',
        code: 'template_language_ambiguous',
      });
      expect(sends()).toHaveLength(0);
    });

    it('refuses a bare language whose variants are not approved, naming their statuses', async () => {
      const res = await send(template('order_update', 'en'));
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({
        message:
          'Template not approved: order_update (en_GB) is REJECTED, order_update (en_US) is PENDING',
        status: 'error',
        code: 'template_not_approved',
      });
      const exact = await send(template('order_update', 'en_US'));
      expect(exact.json().message).toBe('Template not approved: order_update (en_US) is PENDING');
      expect(sends()).toHaveLength(0);
    });

    it('answers language_used null for messages that are not templates', async () => {
      const to = newNumber();
      await customerWrites(to);
      const res = await send({ to, type: 'text', text: 'Hi' });
      expect(res.json().data.language_used).toBeNull();
    });
  });

  it('refuses a template with the wrong parameter count, naming expected and given', async () => {
    const res = await send(orderConfirmation(newNumber(), ['John']));
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      message: "Template 'order_confirmation' expects 2 body parameters, got 1",
      status: 'error',
      code: 'template_parameters_mismatch',
    });
    expect(sends()).toHaveLength(0);
  });

  it('refuses an invalid phone number', async () => {
    const res = await send({ to: '12ab', type: 'text', text: 'x' });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(/^Invalid phone number/);
  });

  it('refuses a national number without a country, and one not valid for its country, naming to', async () => {
    const national = await send(orderConfirmation('9876543210'));
    expect(national.statusCode).toBe(400);
    expect(national.json().message).toBe(
      'Invalid phone number: to must be E.164, like +919876543210',
    );
    const iranian = await send(orderConfirmation('+9876543210'));
    expect(iranian.statusCode).toBe(400);
    expect(iranian.json().message).toBe(
      'Invalid phone number: to +9876543210 is not a valid number for IR',
    );
    expect(sends()).toHaveLength(0);
    expect(await h.app.store.contacts.findByPhone(h.org.organization.id, '+9876543210')).toBeNull();
  });

  it("sends to a national number in the request's default country", async () => {
    const res = await send({ ...orderConfirmation('(415) 555-2001'), default_country: 'US' });
    expect(res.statusCode).toBe(200);
    expect(accepted()[0]!.body).toMatchObject({ to: '14155552001' });
  });

  it('returns the first result for a repeated Idempotency-Key without sending again', async () => {
    const to = newNumber();
    const headers = { 'idempotency-key': `order-${to}` };
    const first = await send(orderConfirmation(to), headers);
    const second = await send(orderConfirmation(to), headers);
    expect(first.statusCode).toBe(200);
    expect(second.json()).toEqual(first.json());
    expect(accepted()).toHaveLength(1);

    const other = await send(orderConfirmation(to, ['Jane', 'ORD-1']), headers);
    expect(other.statusCode).toBe(409);
    expect(other.json()).toEqual({
      message: `Idempotency-Key 'order-${to}' was already used for a different request`,
      status: 'error',
      code: 'idempotency_key_reused',
    });
  });

  it('retries throughput and maintenance errors and delivers once', async () => {
    h.sim.failNext(1, { httpStatus: 429, code: 130429, message: '(#130429) Rate limit hit' });
    h.sim.failNext(1, {
      httpStatus: 503,
      code: 131057,
      message: '(#131057) Account in maintenance mode',
    });
    const res = await send(orderConfirmation(newNumber()));
    expect(res.statusCode).toBe(200);
    expect(sends()).toHaveLength(3);
    expect(accepted()).toHaveLength(1);
    expect(accepted()[0]!.wamid).toBe(res.json().data.message_id);
  });

  it('does not send twice when the answer to an accepted send is lost', async () => {
    h.sim.failNext(1, { kind: 'drop' });
    const res = await send(orderConfirmation(newNumber()));
    expect(res.statusCode).toBe(200);
    // The simulator accepted the first send; its status webhook told Waflow the wamid.
    expect(accepted()).toHaveLength(1);
    expect(res.json().data.message_id).toBe(accepted()[0]!.wamid);
  });

  it('fails at once, visibly, when Meta refuses the recipient', async () => {
    h.sim.failNext(1, {
      httpStatus: 400,
      code: 131026,
      message: '(#131026) Message Undeliverable',
    });
    const to = newNumber();
    const res = await send(orderConfirmation(to));
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      message: 'Recipient not on WhatsApp',
      status: 'error',
      code: 'message_failed',
    });
    expect(sends()).toHaveLength(1);
    const failed = (await events('message.failed')).filter((e) => e.data.to === to);
    expect(failed).toHaveLength(1);
    // Never accepted by Meta: receivers deduplicate by message_id, Waflow's own id here.
    expect(failed[0]!.data).toMatchObject({
      message_id: failed[0]!.data.id,
      wamid: null,
      status: 'failed',
      error_code: 131026,
      error_message: 'Recipient not on WhatsApp',
    });
    expect(failed[0]!.data.id).toEqual(expect.any(String));
    const stored = await h.app.store.messages.get(
      h.org.organization.id,
      failed[0]!.data.id as string,
    );
    expect(stored).toMatchObject({ status: 'failed', error: { code: 131026 } });
  });

  it('lists history newest first with a stable cursor, and hides other organizations', async () => {
    const to = newNumber();
    await customerWrites(to, 'first');
    for (const text of ['a', 'b', 'c'])
      expect((await send({ to, type: 'text', text })).statusCode).toBe(200);
    const contact = (await h.app.store.contacts.findByPhone(h.org.organization.id, to))!;
    const page = (q: string) =>
      h.call({ method: 'GET', url: `/api/messages?contact_id=${contact._id}&limit=2${q}` });

    const first = (await page('')).json().data;
    expect(first.messages.map((m: { content: { body: string } }) => m.content.body)).toEqual([
      'c',
      'b',
    ]);
    await send({ to, type: 'text', text: 'd' });
    const { before_time, before_id } = first.next_cursor;
    const second = (await page(`&before_time=${before_time}&before_id=${before_id}`)).json().data;
    expect(second.messages.map((m: { content: { body: string } }) => m.content.body)).toEqual([
      'a',
      'first',
    ]);
    expect(second.messages[1]).toMatchObject({ direction: 'inbound', type: 'text' });

    const other = await h.app.store.organizations.create('Globex');
    const { key } = await h.app.store.apiKeys.create(other._id, { name: 'k' });
    const foreign = await h.app.inject({
      method: 'GET',
      url: `/api/messages?contact_id=${contact._id}`,
      headers: { 'x-api-key': key },
    });
    expect(foreign.statusCode).toBe(404);
  });

  it('disconnects the account on an invalid token and refuses later sends', async () => {
    h.sim.failNext(1, {
      httpStatus: 401,
      code: 190,
      message: 'Invalid OAuth access token - Cannot parse access token',
    });
    const res = await send(orderConfirmation(newNumber()));
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      message: 'Account disconnected',
      status: 'error',
      code: 'account_disconnected',
    });
    expect((await h.app.store.accounts.get(h.org.organization.id, h.account._id))?.status).toBe(
      'disconnected',
    );
    const later = await send(orderConfirmation(newNumber()));
    expect(later.json()).toEqual({
      message: 'Account disconnected',
      status: 'error',
      code: 'account_disconnected',
    });
    expect(sends()).toHaveLength(1);
  });
});

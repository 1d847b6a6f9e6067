import { createMessagingHarness, type MessagingHarness } from '../support/messaging';

const LIST = (sections: unknown[], body = 'Choose') => ({
  type: 'list',
  body: { text: body },
  action: { button: 'Slots', sections },
});
const rows = (n: number, prefix = 'r') =>
  Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i}`, title: `Row ${i}` }));
const CTA = (display_text: string, url: string) => ({
  type: 'cta_url',
  body: { text: 'See the offer' },
  action: { name: 'cta_url', parameters: { display_text, url } },
});

describe.each(['postgres', 'mongo'] as const)('message types and receipts on %s', (kind) => {
  let h: MessagingHarness;
  let n = 0;
  const newNumber = () => `+1415556${String(1000 + n++).padStart(4, '0')}`;

  beforeAll(async () => {
    h = await createMessagingHarness({ env: { WAFLOW_STORE: kind } });
  });
  afterAll(() => h.close());
  beforeEach(() => {
    h.sim.clearLog();
    h.sim.clearSends();
  });

  const send = (payload: Record<string, unknown>) =>
    h.call({ method: 'POST', url: '/api/messages/send', payload });
  const markRead = (id: string, payload?: Record<string, unknown>) =>
    h.call({
      method: 'POST',
      url: `/api/messages/${encodeURIComponent(id)}/read`,
      ...(payload ? { payload } : {}),
    });
  const sent = () => h.sim.sends({ full: true }).sends ?? [];

  /** The customer writes first (opens the window); returns the inbound message's wamid. */
  async function customerWrites(from: string): Promise<string> {
    const { wamid } = await h.sim.inbound({
      phone_number_id: h.account.phone_number_id,
      from,
      type: 'text',
      text: 'Hi!',
    });
    await h.settle();
    return wamid;
  }

  it('sends location, contacts, sticker and the new interactive kinds as Meta takes them', async () => {
    const to = newNumber();
    await customerWrites(to);
    const location = { latitude: 12.9716, longitude: 77.5946, name: 'Store', address: 'MG Road' };
    const contacts = [{ name: { formatted_name: 'Ravi K' }, phones: [{ phone: '+919876543210' }] }];
    const requests = [
      { type: 'location', location },
      { type: 'contacts', contacts },
      { type: 'sticker', sticker: { url: 'https://cdn.example/s.webp' } },
      { type: 'interactive', interactive: CTA('Shop now', 'https://shop.example/offer') },
      {
        type: 'interactive',
        interactive: {
          type: 'location_request_message',
          body: { text: 'Where should we deliver?' },
          action: { name: 'send_location' },
        },
      },
      {
        type: 'interactive',
        interactive: {
          type: 'flow',
          body: { text: 'Book a table' },
          action: {
            name: 'flow',
            parameters: {
              flow_message_version: '3',
              flow_name: 'booking',
              flow_cta: 'Book',
              flow_action_payload: { screen: 'START' },
            },
          },
        },
      },
      {
        type: 'interactive',
        interactive: {
          type: 'address_message',
          body: { text: 'Your address?' },
          action: { name: 'address_message', parameters: { country: 'IN' } },
        },
      },
      {
        type: 'interactive',
        interactive: LIST(
          [
            { title: 'Today', rows: rows(5, 'a') },
            { title: 'Tomorrow', rows: rows(5, 'b') },
          ],
          'x'.repeat(4096),
        ),
      },
    ];
    for (const r of requests) {
      const res = await send({ to, ...r });
      expect([r.type, res.statusCode, res.json().data?.status]).toEqual([r.type, 200, 'sent']);
    }
    expect(sent().map((s) => [s.type, s.content])).toEqual([
      ['location', location],
      ['contacts', contacts],
      ['sticker', { link: 'https://cdn.example/s.webp' }],
      ...requests.slice(3).map((r) => ['interactive', r.interactive]),
    ]);
  });

  it.each([
    [{ type: 'location', location: { latitude: 91, longitude: 0 } }, 'body.location.latitude'],
    [{ type: 'location', location: { latitude: 0, longitude: 181 } }, 'body.location.longitude'],
    [{ type: 'location', location: { longitude: 1 } }, 'body.location.latitude'],
    [{ type: 'contacts', contacts: [{ phones: [] }] }, 'body.contacts.0.name'],
    [{ type: 'contacts', contacts: [{ name: { formatted_name: ' ' } }] }, 'formatted_name'],
    [{ type: 'contacts', contacts: [] }, 'body.contacts'],
    [{ type: 'sticker', sticker: { url: 'http://cdn.example/s.webp' } }, 'body.sticker.url'],
    [{ type: 'reaction', reaction: { message_id: 'x', emoji: 'ok' } }, 'body.reaction.emoji'],
    [{ type: 'reaction', reaction: { message_id: 'x', emoji: '👍👍' } }, 'body.reaction.emoji'],
    [
      { type: 'interactive', interactive: CTA('x'.repeat(21), 'https://shop.example') },
      'body.interactive.action.parameters.display_text',
    ],
    [
      { type: 'interactive', interactive: CTA('Shop', 'javascript:alert(1)') },
      'body.interactive.action.parameters.url',
    ],
    [
      {
        type: 'interactive',
        interactive: LIST([
          { title: 'A', rows: rows(6) },
          { title: 'B', rows: rows(5, 'b') },
        ]),
      },
      'at most 10 rows in all sections together',
    ],
    [
      { type: 'interactive', interactive: LIST([{ rows: [{ id: 'r', title: 'x'.repeat(25) }] }]) },
      'body.interactive.action.sections.0.rows.0.title',
    ],
    [
      { type: 'interactive', interactive: LIST([{ rows: rows(1) }], 'x'.repeat(4097)) },
      'body.interactive.body.text',
    ],
    [
      { type: 'interactive', interactive: LIST([{ rows: rows(1) }, { rows: rows(1, 'b') }]) },
      'every section needs a title when there are several',
    ],
    [
      {
        type: 'interactive',
        interactive: {
          type: 'button',
          body: { text: 'x'.repeat(1025) },
          action: { buttons: [{ type: 'reply', reply: { id: 'a', title: 'A' } }] },
        },
      },
      'body.interactive.body.text',
    ],
    [
      {
        type: 'interactive',
        interactive: {
          type: 'button',
          body: { text: 'Pick' },
          action: {
            buttons: [1, 2, 3, 4].map((i) => ({
              type: 'reply',
              reply: { id: `${i}`, title: 'B' },
            })),
          },
        },
      },
      'at most 3 buttons',
    ],
    [
      {
        type: 'interactive',
        interactive: {
          type: 'button',
          body: { text: 'Pick' },
          action: {
            buttons: [1, 2].map(() => ({ type: 'reply', reply: { id: 'same', title: 'B' } })),
          },
        },
      },
      "the button id 'same' is used twice",
    ],
    [
      {
        type: 'interactive',
        interactive: {
          type: 'button',
          header: { type: 'text', text: 'x'.repeat(61) },
          body: { text: 'Pick' },
          action: { buttons: [{ type: 'reply', reply: { id: 'a', title: 'A' } }] },
        },
      },
      'interactive.header.text',
    ],
    [
      {
        type: 'interactive',
        interactive: {
          type: 'flow',
          body: { text: 'Book' },
          action: {
            name: 'flow',
            parameters: {
              flow_message_version: '3',
              flow_cta: 'Book',
              flow_action: 'data_exchange',
            },
          },
        },
      },
      'give exactly one of flow_id or flow_name',
    ],
  ])('refuses what Meta would, naming the field: %#', async (request, field) => {
    const to = newNumber();
    await customerWrites(to);
    const res = await send({ to, ...request });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toContain(field);
    expect(sent()).toHaveLength(0);
  });

  it('reacts to and replies to messages named by Waflow id or wamid, and removes a reaction', async () => {
    const to = newNumber();
    const inbound = await customerWrites(to);
    const first = await send({ to, type: 'text', text: 'Thanks!' });
    const { id, message_id: outWamid } = first.json().data;
    const cases = [
      { type: 'reaction', reaction: { message_id: `in:${inbound}`, emoji: '❤️' } },
      { type: 'reaction', reaction: { message_id: outWamid, emoji: '' } },
      { type: 'text', text: 'About that', context: { message_id: inbound } },
      { type: 'image', image: { url: 'https://cdn.example/p.jpg' }, context: { message_id: id } },
    ];
    for (const c of cases) {
      const res = await send({ to, ...c });
      expect([c.type, res.statusCode]).toEqual([c.type, 200]);
    }
    expect(
      sent()
        .slice(1)
        .map((s) => [s.type, s.content, s.context]),
    ).toEqual([
      ['reaction', { message_id: inbound, emoji: '❤️' }, null],
      ['reaction', { message_id: outWamid, emoji: '' }, null],
      ['text', { body: 'About that' }, { message_id: inbound }],
      ['image', { link: 'https://cdn.example/p.jpg' }, { message_id: outWamid }],
    ]);
    const history = await h.call({
      method: 'GET',
      url: `/api/messages?contact_id=${first.json().data && (await contactOf(to))}`,
    });
    const image = history.json().data.messages.find((m: { type: string }) => m.type === 'image');
    expect(image.context).toEqual({ message_id: outWamid });
  });

  async function contactOf(phone: string): Promise<string> {
    return (await h.app.store.contacts.findByPhone(h.org.organization.id, phone))!._id;
  }

  it('refuses a reaction or reply to an unknown message, or to another contact’s, naming the field', async () => {
    const to = newNumber();
    const other = newNumber();
    await customerWrites(to);
    const theirs = await customerWrites(other);
    const cases = [
      [
        { type: 'reaction', reaction: { message_id: 'wamid.nope', emoji: '👍' } },
        'reaction.message_id: no message',
      ],
      [
        { type: 'reaction', reaction: { message_id: theirs, emoji: '👍' } },
        'reaction.message_id: message',
      ],
      [
        { type: 'text', text: 'Re', context: { message_id: 'nope' } },
        'context.message_id: no message',
      ],
      [
        { type: 'text', text: 'Re', context: { message_id: `in:${theirs}` } },
        'context.message_id: message',
      ],
    ] as const;
    for (const [request, message] of cases) {
      const res = await send({ to, ...request });
      expect(res.statusCode).toBe(400);
      expect(res.json().message).toContain(message);
    }
    const otherContact = await send({
      to,
      type: 'reaction',
      reaction: { message_id: theirs, emoji: '👍' },
    });
    expect(otherContact.json()).toMatchObject({ code: 'message_of_another_contact' });
    expect(sent()).toHaveLength(0);
  });

  describe('POST /api/messages/:id/read', () => {
    it('sends the read receipt, with the typing indicator when asked, and records it', async () => {
      const to = newNumber();
      const wamid = await customerWrites(to);
      const plain = await markRead(`in:${wamid}`);
      expect(plain.statusCode).toBe(200);
      expect(plain.json().data).toEqual({
        id: `in:${wamid}`,
        message_id: wamid,
        status: 'read',
        typing_indicator: false,
      });
      const typing = await markRead(wamid, { typing_indicator: true });
      expect(typing.json().data).toMatchObject({ id: `in:${wamid}`, typing_indicator: true });
      expect(h.sim.readReceipts.filter((r) => r.message_id === wamid)).toMatchObject([
        { typing_indicator: false },
        { typing_indicator: true },
      ]);
      expect(h.sim.log.filter((e) => e.path.endsWith('/messages')).map((e) => e.body)).toEqual([
        { messaging_product: 'whatsapp', status: 'read', message_id: wamid },
        {
          messaging_product: 'whatsapp',
          status: 'read',
          message_id: wamid,
          typing_indicator: { type: 'text' },
        },
      ]);
      const stored = await h.app.store.messages.get(h.org.organization.id, `in:${wamid}`);
      expect(stored?.status).toBe('read');
    });

    it('answers 404 for an unknown message or another organization’s, and 400 for a sent one', async () => {
      const to = newNumber();
      await customerWrites(to);
      const out = (await send({ to, type: 'text', text: 'Hello' })).json().data;
      expect((await markRead('in:wamid.nothing')).statusCode).toBe(404);
      const sentOne = await markRead(out.id);
      expect(sentOne.statusCode).toBe(400);
      expect(sentOne.json()).toMatchObject({ code: 'not_inbound' });
      expect((await markRead(out.message_id)).statusCode).toBe(400);
      expect((await markRead('in:x', { typing_indicator: 'yes' })).statusCode).toBe(400);

      const otherOrg = await h.app.store.organizations.create('Other');
      const theirs = await h.app.store.messages.insert({
        _id: 'in:wamid.theirs',
        org_id: otherOrg._id,
        account_id: h.account._id,
        contact_id: 'c',
        direction: 'inbound',
        phone_number: to,
        user_id: null,
        type: 'text',
        content: { body: 'x' },
        origin: 'whatsapp',
        origin_id: null,
        request_hash: null,
        wamid: 'wamid.theirs',
        status: 'delivered',
      });
      expect((await markRead(theirs.doc._id)).statusCode).toBe(404);
      expect((await markRead('wamid.theirs')).statusCode).toBe(404);
      expect(h.sim.readReceipts.filter((r) => r.message_id === 'wamid.theirs')).toHaveLength(0);
    });
  });

  describe('the mark_read automation step', () => {
    const steps = [
      { id: 'seen', type: 'mark_read', typing_indicator: true },
      { id: 'answer', type: 'send_message', message: { type: 'text', text: 'On it!' } },
    ];

    it('marks the triggering message read with a typing indicator, then answers', async () => {
      const keyword = `track${kind}`;
      const created = await h.call({
        method: 'POST',
        url: '/api/automations',
        payload: { name: 'Seen', trigger: { type: 'keyword', keywords: [keyword] }, steps },
      });
      expect(created.statusCode).toBe(201);
      const id = created.json().data.id as string;
      const to = newNumber();
      const { wamid } = await h.sim.inbound({
        phone_number_id: h.account.phone_number_id,
        from: to,
        type: 'text',
        text: keyword,
      });
      await h.settle();
      const answered = async () => sent().some((s) => s.recipient === to.slice(1));
      for (let i = 0; i < 100 && !(await answered()); i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(h.sim.readReceipts.filter((r) => r.message_id === wamid)).toMatchObject([
        { recipient: to.slice(1), typing_indicator: true },
      ]);
      expect(sent().filter((s) => s.recipient === to.slice(1))).toMatchObject([
        { type: 'text', content: { body: 'On it!' } },
      ]);
      const runs = (await h.call({ method: 'GET', url: `/api/automations/${id}/runs` })).json().data
        .runs;
      expect(runs[0]).toMatchObject({ state: 'completed' });
      expect(
        runs[0].path.map((p: { step: string; outcome: string }) => [p.step, p.outcome]),
      ).toEqual([
        ['seen', 'read'],
        ['answer', 'sent'],
      ]);
      expect((await h.app.store.messages.get(h.org.organization.id, `in:${wamid}`))?.status).toBe(
        'read',
      );

      // The test run shows the receipt and sends none.
      const contactId = await contactOf(to);
      const receiptsBefore = h.sim.readReceipts.length;
      const test = await h.call({
        method: 'POST',
        url: `/api/automations/${id}/test`,
        payload: { contact_id: contactId, message: { text: keyword } },
      });
      expect(test.statusCode).toBe(200);
      expect(test.json().data.path[0]).toMatchObject({
        step: 'seen',
        outcome: 'read',
        detail: { would: 'mark_read', typing_indicator: true },
      });
      expect(h.sim.readReceipts).toHaveLength(receiptsBefore);
      await h.call({ method: 'DELETE', url: `/api/automations/${id}` });
    });

    it('refuses a mark_read step where no customer message can be, naming the step', async () => {
      const res = await h.call({
        method: 'POST',
        url: '/api/automations',
        payload: { name: 'No message', trigger: { type: 'contact_created' }, steps },
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().message).toMatch(
        /^steps\[0\] \(seen\): mark_read marks a customer message/,
      );
      const typo = await h.call({
        method: 'POST',
        url: '/api/automations',
        payload: {
          name: 'Typo',
          trigger: { type: 'any_message' },
          steps: [{ id: 'seen', type: 'mark_read', typing_indicator: 'yes' }],
        },
      });
      expect(typo.statusCode).toBe(400);
      expect(typo.json().message).toContain('typing_indicator');
    });

    it('sends location and contact cards from an automation', async () => {
      const keyword = `where${kind}`;
      const created = await h.call({
        method: 'POST',
        url: '/api/automations',
        payload: {
          name: 'Where',
          trigger: { type: 'keyword', keywords: [keyword] },
          steps: [
            {
              id: 'map',
              type: 'send_message',
              message: {
                type: 'location',
                location: { latitude: 51.5, longitude: -0.12, name: '{{name|Shop}}' },
              },
            },
            {
              id: 'card',
              type: 'send_message',
              message: { type: 'contacts', contacts: [{ name: { formatted_name: 'Front desk' } }] },
            },
          ],
        },
      });
      expect(created.statusCode).toBe(201);
      const to = newNumber();
      await h.sim.inbound({
        phone_number_id: h.account.phone_number_id,
        from: to,
        type: 'text',
        text: keyword,
      });
      await h.settle();
      const mine = () => sent().filter((s) => s.recipient === to.slice(1));
      for (let i = 0; i < 100 && mine().length < 2; i++)
        await new Promise((r) => setTimeout(r, 50));
      expect(mine().map((s) => [s.type, s.content])).toEqual([
        ['location', { latitude: 51.5, longitude: -0.12, name: 'Sandbox User' }],
        ['contacts', [{ name: { formatted_name: 'Front desk' } }]],
      ]);
      await h.call({ method: 'DELETE', url: `/api/automations/${created.json().data.id}` });
    });
  });
});

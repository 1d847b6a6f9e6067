import {
  control,
  CUSTOMER,
  CUSTOMER_WA_ID,
  errorOf,
  json,
  PHONE_ID,
  startHarness,
  text,
  wamidOf,
  type Harness,
} from './helpers';
import type { ReadReceiptEntry } from '../../sim/meta/types';

const OTHER = '+14155550100';

const send = (type: string, object: unknown, extra: Record<string, unknown> = {}) => ({
  messaging_product: 'whatsapp',
  to: CUSTOMER,
  type,
  [type]: object,
  ...extra,
});

const interactive = (object: Record<string, unknown>) =>
  send('interactive', { body: { text: 'Pick' }, ...object });

const rows = (n: number, prefix = 'r') =>
  Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i}`, title: `Row ${i}` }));

describe('Meta simulator: message types', () => {
  let h: Harness;
  let inbound: string;

  beforeEach(async () => {
    h = await startHarness();
    ({ wamid: inbound } = await h.sim.inbound({
      phone_number_id: PHONE_ID,
      from: CUSTOMER,
      text: 'Hi',
    }));
  });
  afterEach(() => h.close());

  it('accepts each type as Meta documents it and logs what went out', async () => {
    const sent = await wamidOf(await h.send(text('Hi')));
    const bodies = [
      send('sticker', { link: 'https://cdn.example/s.webp' }),
      send('location', { latitude: -33.86, longitude: 151.2, name: 'Office', address: '1 Main' }),
      send('contacts', [
        { name: { formatted_name: 'Ravi K', first_name: 'Ravi' }, phones: [{ phone: '+1' }] },
      ]),
      send('reaction', { message_id: inbound, emoji: '👍🏽' }),
      send('reaction', { message_id: sent, emoji: '' }),
      send('text', { body: 'Quoted' }, { context: { message_id: inbound } }),
      send('image', { link: 'https://cdn.example/p.jpg' }, { context: { message_id: sent } }),
      interactive({
        type: 'cta_url',
        header: { type: 'text', text: 'Offer' },
        footer: { text: 'Ends soon' },
        action: { name: 'cta_url', parameters: { display_text: 'Shop', url: 'https://x.example' } },
      }),
      interactive({ type: 'location_request_message', action: { name: 'send_location' } }),
      interactive({
        type: 'address_message',
        action: { name: 'address_message', parameters: { country: 'IN' } },
      }),
      interactive({
        type: 'flow',
        action: {
          name: 'flow',
          parameters: {
            flow_message_version: '3',
            flow_id: '1234',
            flow_cta: 'Book',
            flow_action_payload: { screen: 'START' },
          },
        },
      }),
      interactive({
        type: 'list',
        body: { text: 'x'.repeat(4096) },
        action: {
          button: 'Slots',
          sections: [
            { title: 'Today', rows: rows(5, 'a') },
            { title: 'Tomorrow', rows: rows(5, 'b') },
          ],
        },
      }),
    ];
    for (const body of bodies) {
      const res = await h.send(body);
      expect([body, res.status]).toEqual([body, 200]);
    }
    const { sends } = h.sim.sends({ full: true });
    expect(sends?.slice(1).map((s) => [s.type, s.content, s.context])).toEqual(
      bodies.map((b) => [
        b.type,
        b[b.type as keyof typeof b],
        (b as { context?: unknown }).context ?? null,
      ]),
    );
  });

  it.each([
    [
      send('location', { latitude: 91, longitude: 0 }),
      "location['latitude'] must be a number between -90 and 90",
    ],
    [
      send('location', { latitude: 0, longitude: -180.5 }),
      "location['longitude'] must be a number between -180 and 180",
    ],
    [
      send('reaction', { message_id: 'x', emoji: 'ok' }),
      "reaction['emoji'] must be a single emoji",
    ],
    [
      send('reaction', { message_id: 'x', emoji: '👍👍' }),
      "reaction['emoji'] must be a single emoji",
    ],
    [
      { ...text(), text: { body: 'x'.repeat(4097) } },
      "text['body'] must be at most 4096 characters",
    ],
    [
      interactive({
        type: 'button',
        action: {
          buttons: [1, 2, 3, 4].map((i) => ({
            type: 'reply',
            reply: { id: `b${i}`, title: `B${i}` },
          })),
        },
      }),
      "interactive['action']['buttons'] must have between 1 and 3 items",
    ],
    [
      interactive({
        type: 'button',
        action: {
          buttons: [1, 2].map(() => ({ type: 'reply', reply: { id: 'same', title: 'Same' } })),
        },
      }),
      "interactive['action']['buttons'] has the id 'same' twice",
    ],
    [
      interactive({
        type: 'button',
        action: { buttons: [{ type: 'reply', reply: { id: 'b', title: 'x'.repeat(21) } }] },
      }),
      "['reply']['title'] must be at most 20 characters",
    ],
    [
      interactive({
        type: 'list',
        action: {
          button: 'Slots',
          sections: [
            { title: 'A', rows: rows(6) },
            { title: 'B', rows: rows(5, 'b') },
          ],
        },
      }),
      'must have at most 10 rows in all',
    ],
    [
      interactive({
        type: 'list',
        action: { button: 'Slots', sections: [{ rows: [{ id: 'r', title: 'x'.repeat(25) }] }] },
      }),
      "['rows'][0]['title'] must be at most 24 characters",
    ],
    [
      interactive({
        type: 'list',
        action: {
          button: 'Slots',
          sections: [{ rows: [{ id: 'r', title: 'R', description: 'd'.repeat(73) }] }],
        },
      }),
      "['description'] must be at most 72 characters",
    ],
    [
      interactive({
        type: 'list',
        body: { text: 'x'.repeat(4097) },
        action: { button: 'Slots', sections: [{ rows: rows(1) }] },
      }),
      "interactive['body']['text'] must be at most 4096 characters",
    ],
    [
      interactive({
        type: 'cta_url',
        body: { text: 'x'.repeat(1025) },
        action: { name: 'cta_url', parameters: { display_text: 'Go', url: 'https://x.example' } },
      }),
      "interactive['body']['text'] must be at most 1024 characters",
    ],
    [
      interactive({
        type: 'cta_url',
        action: {
          name: 'cta_url',
          parameters: { display_text: 'x'.repeat(21), url: 'https://x.example' },
        },
      }),
      "['parameters']['display_text'] must be at most 20 characters",
    ],
    [
      interactive({
        type: 'cta_url',
        action: { name: 'cta_url', parameters: { display_text: 'Go', url: 'ftp://x.example' } },
      }),
      "['parameters']['url'] must be an http(s) URL",
    ],
    [
      interactive({
        type: 'cta_url',
        header: { type: 'text', text: 'x'.repeat(61) },
        action: { name: 'cta_url', parameters: { display_text: 'Go', url: 'https://x.example' } },
      }),
      "interactive['header']['text'] must be at most 60 characters",
    ],
    [
      interactive({
        type: 'flow',
        action: {
          name: 'flow',
          parameters: {
            flow_message_version: '3',
            flow_id: '1',
            flow_cta: 'x'.repeat(21),
            flow_action: 'data_exchange',
          },
        },
      }),
      "['flow_cta'] must be at most 20 characters",
    ],
  ])(
    'answers (#131009) Parameter value is not valid for a value Meta refuses: %#',
    async (body, details) => {
      const res = await h.send(body);
      expect(res.status).toBe(400);
      const error = await errorOf(res);
      expect(error).toMatchObject({
        message: '(#131009) Parameter value is not valid',
        code: 131009,
      });
      expect(error.error_data?.details).toContain(details);
      expect(h.sim.sends().total).toBe(0);
    },
  );

  it.each([
    [send('contacts', [{ phones: [] }]), "contacts[0]['name'] is required"],
    [send('sticker', { caption: 'no' }), "sticker requires either 'id' or 'link'"],
    [send('location', { longitude: 1 }), "location['latitude'] must be a number"],
    [
      interactive({ type: 'cta_url', action: { name: 'cta_url' } }),
      "interactive['action']['parameters'] is required",
    ],
    [
      interactive({
        type: 'list',
        action: { button: 'Slots', sections: [{ rows: rows(1) }, { rows: rows(1, 'b') }] },
      }),
      "sections'][0]['title'] is required",
    ],
    [
      interactive({
        type: 'list',
        header: { type: 'image', image: { link: 'https://cdn.example/p.jpg' } },
        action: { button: 'Slots', sections: [{ rows: rows(1) }] },
      }),
      "interactive['header']['type'] must be one of: text",
    ],
    [
      interactive({
        type: 'location_request_message',
        header: { type: 'text', text: 'Where?' },
        action: { name: 'send_location' },
      }),
      "interactive['header'] is not allowed",
    ],
    [
      interactive({
        type: 'address_message',
        action: { name: 'address_message', parameters: { country: 'US' } },
      }),
      "['parameters']['country'] must be one of: IN, SG",
    ],
    [
      interactive({
        type: 'flow',
        action: { name: 'flow', parameters: { flow_message_version: '3', flow_cta: 'Go' } },
      }),
      "requires exactly one of 'flow_id' or 'flow_name'",
    ],
    [
      interactive({
        type: 'flow',
        action: {
          name: 'flow',
          parameters: { flow_message_version: '3', flow_id: '1', flow_cta: 'Go' },
        },
      }),
      "['flow_action_payload'] is required",
    ],
  ])(
    'answers (#100) Invalid parameter for a missing or wrong parameter: %#',
    async (body, details) => {
      const res = await h.send(body);
      expect(res.status).toBe(400);
      const error = await errorOf(res);
      expect(error).toMatchObject({ code: 100 });
      expect(error.error_data?.details).toContain(details);
    },
  );

  it('refuses a reaction or a reply naming a message it does not know or of another chat', async () => {
    await h.sim.inbound({ phone_number_id: PHONE_ID, from: OTHER, text: 'Hi' });
    const theirs = await wamidOf(await h.send(text('Hi', OTHER)));
    const cases = [
      [
        send('reaction', { message_id: 'wamid.nope', emoji: '👍' }),
        "reaction['message_id'] names no message",
      ],
      [send('reaction', { message_id: theirs, emoji: '👍' }), 'names a message of another chat'],
      [
        send('text', { body: 'Re' }, { context: { message_id: 'wamid.nope' } }),
        "context['message_id'] names no message",
      ],
      [
        send('text', { body: 'Re' }, { context: { message_id: theirs } }),
        'names a message of another chat',
      ],
    ] as const;
    for (const [body, details] of cases) {
      const res = await h.send(body);
      expect(res.status).toBe(400);
      const error = await errorOf(res);
      expect([error.code, error.error_data?.details]).toEqual([
        131009,
        expect.stringContaining(details),
      ]);
    }
    // Only the message to the other customer went out.
    expect(h.sim.sends().total).toBe(1);
  });
});

describe('Meta simulator: read receipts', () => {
  let h: Harness;

  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(() => h.close());

  const receipt = (message_id: string, extra: Record<string, unknown> = {}) => ({
    messaging_product: 'whatsapp',
    status: 'read',
    message_id,
    ...extra,
  });

  it('accepts a read receipt for a received message, with or without a typing indicator', async () => {
    const { wamid } = await h.sim.inbound({
      phone_number_id: PHONE_ID,
      from: CUSTOMER,
      text: 'Hi',
    });
    const plain = await h.send(receipt(wamid));
    expect([plain.status, await json<unknown>(plain)]).toEqual([200, { success: true }]);
    const typing = await h.send(receipt(wamid, { typing_indicator: { type: 'text' } }));
    expect(typing.status).toBe(200);
    const expected: Partial<ReadReceiptEntry>[] = [
      {
        phone_number_id: PHONE_ID,
        message_id: wamid,
        recipient: CUSTOMER_WA_ID,
        typing_indicator: false,
      },
      {
        phone_number_id: PHONE_ID,
        message_id: wamid,
        recipient: CUSTOMER_WA_ID,
        typing_indicator: true,
      },
    ];
    expect(h.sim.readReceipts).toMatchObject(expected);
    expect(await json<unknown>(await control(h.sim, 'GET', 'read-receipts'))).toMatchObject(
      expected,
    );
    // A receipt is no message: nothing in the send log.
    expect(h.sim.sends().total).toBe(0);
  });

  it('refuses a receipt for an unknown, sent or other number’s message, and a wrong typing indicator', async () => {
    const { wamid } = await h.sim.inbound({
      phone_number_id: PHONE_ID,
      from: CUSTOMER,
      text: 'Hi',
    });
    const sent = await wamidOf(await h.send(text()));
    const cases = [
      [receipt('wamid.unknown'), 131009, 'names no message this number received'],
      [receipt(sent), 131009, 'names no message this number received'],
      [
        receipt(wamid, { typing_indicator: { type: 'audio' } }),
        100,
        "typing_indicator['type'] must be one of: text",
      ],
      [receipt(wamid, { status: 'delivered' }), 100, 'The parameter status must be one of: read'],
      [{ status: 'read', message_id: wamid }, 100, 'messaging_product'],
    ] as const;
    for (const [body, code, details] of cases) {
      const res = await h.send(body);
      expect(res.status).toBe(400);
      const error = await errorOf(res);
      expect([error.code, error.error_data?.details]).toEqual([
        code,
        expect.stringContaining(details),
      ]);
    }
    const otherNumber = await h.send(receipt(wamid), { phoneId: '106540352240000' });
    expect((await errorOf(otherNumber)).code).toBe(131009);
    expect(h.sim.readReceipts).toHaveLength(0);
  });
});

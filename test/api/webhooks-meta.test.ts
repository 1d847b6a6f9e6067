import { subscribeToStatuses } from '../support/status-events';
import { randomUUID } from 'node:crypto';
import { signBody } from '../../sim/meta';
import type { AccountDoc } from '../../store/documents';
import { createTestApp, postMetaWebhook, type TestApp } from '../support/app';
import { openRawStore, type RawStore } from '../support/raw-store';
import { STORE_KINDS } from '../support/store';

const APP_SECRET = 'a9c1f3e5b7d9f1a3c5e7b9d1f3a5c7e9';
const VERIFY_TOKEN = 'my-verify-token';

let t: TestApp;
let raw: RawStore;
let account: AccountDoc;
let orgId: string;
beforeAll(async () => {
  t = await createTestApp();
  raw = openRawStore(t.app.config);
  orgId = t.org.organization.id;
  await subscribeToStatuses(t.app.store, orgId);
  account = await t.app.store.accounts.create(orgId, {
    name: 'Main',
    phoneNumberId: '106540352242922',
    wabaId: '102290129340398',
    accessToken: 'EAAG',
    appSecret: APP_SECRET,
    verifyToken: VERIFY_TOKEN,
  });
});
afterAll(async () => {
  await raw?.close();
  await t?.close();
});

const sign = (body: string, secret = APP_SECRET) => signBody(body, secret);

function webhook(value: Record<string, unknown>, phoneNumberId = account.phone_number_id) {
  return JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: account.waba_id,
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550783881', phone_number_id: phoneNumberId },
              ...value,
            },
          },
        ],
      },
    ],
  });
}

async function post(body: string, signature: string | null = sign(body)) {
  const res = await postMetaWebhook(t.app, body, signature);
  await t.app.inbox.idle();
  return res;
}

let counter = 0;
const customer = () => `1650555${String(1000 + counter++).padStart(4, '0')}`;
const wamid = () => `wamid.${Buffer.from(randomUUID()).toString('base64')}`;

function inbound(from: string, message: Record<string, unknown>, name = 'Sheena Nelson') {
  return webhook({
    contacts: [{ profile: { name }, wa_id: from }],
    messages: [{ from, id: wamid(), timestamp: String(Math.floor(Date.now() / 1000)), ...message }],
  });
}

const events = (type: string) => t.app.store.events.list(orgId, { type }, 1000);
const stored = () => raw.count('inbound_webhooks');

describe('GET /api/webhooks/meta (verification handshake)', () => {
  const handshake = (query: string) =>
    t.app.inject({ method: 'GET', url: `/api/webhooks/meta?${query}` });

  it('echoes the raw challenge for an account verify token', async () => {
    const res = await handshake(
      `hub.mode=subscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=1158201444`,
    );
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toBe('1158201444');
  });

  it.each([
    ['an unknown token', 'hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1'],
    ['another mode', `hub.mode=unsubscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=1`],
    ['no token', 'hub.mode=subscribe&hub.challenge=1'],
  ])('refuses %s with 403', async (_what, query) => {
    const res = await handshake(query);
    expect(res.statusCode).toBe(403);
    expect(res.json().status).toBe('error');
  });
});

describe('POST /api/webhooks/meta', () => {
  it('refuses a bad, missing or foreign signature with 401 and stores nothing', async () => {
    const from = customer();
    const body = inbound(from, { type: 'text', text: { body: 'hi' } });
    const before = await stored();
    for (const signature of [
      sign(body, 'wrong-secret'),
      null,
      sign(`${body} `),
      'sha256=',
      'garbage',
    ]) {
      const res = await post(body, signature);
      expect(res.statusCode).toBe(401);
    }
    expect(await stored()).toBe(before);
    expect(await t.app.store.contacts.findByPhone(orgId, `+${from}`)).toBeNull();
  });

  it('refuses a webhook for a number that is not ours unless one of our app secrets signed it', async () => {
    const body = inbound(customer(), { type: 'text', text: { body: 'hi' } });
    const foreign = body.replace(account.phone_number_id, '999999999999999');
    expect((await post(foreign, sign(foreign, 'another-apps-secret'))).statusCode).toBe(401);
    // Signed by the WABA's app: kept with its reason, not dropped.
    expect((await post(foreign)).statusCode).toBe(200);
    const [kept] = await t.app.store.metaEvents.list(orgId, { field: 'messages', limit: 1 });
    expect(kept).toMatchObject({
      state: 'unmatched',
      reason: 'No account has phone number id 999999999999999',
    });
  });

  it('stores a text message, creates the contact and emits message.incoming once', async () => {
    const from = customer();
    const body = inbound(from, { type: 'text', text: { body: 'Does it come in another color?' } });
    const res = await post(body);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ data: { received: true }, status: 'success' });
    // Meta redelivers: the second copy changes nothing.
    expect((await post(body)).statusCode).toBe(200);

    const contact = (await t.app.store.contacts.findByPhone(orgId, `+${from}`))!;
    expect(contact).toMatchObject({
      name: 'Sheena Nelson',
      source: 'whatsapp_webhook',
      opted_in: true,
    });
    expect(contact.last_inbound_at).not.toBeNull();
    const created = (await events('contact.created')).filter((e) => e.data.id === contact._id);
    expect(created).toHaveLength(1);
    expect(created[0]!.data).toMatchObject({
      phone_number: `+${from}`,
      source: 'whatsapp_webhook',
    });

    const incoming = (await events('message.incoming')).filter((e) => e.data.from === `+${from}`);
    expect(incoming).toHaveLength(1);
    expect(incoming[0]!.data).toMatchObject({
      from: `+${from}`,
      contact_id: contact._id,
      contact_name: 'Sheena Nelson',
      type: 'text',
      text: 'Does it come in another color?',
      whatsapp_account_id: account._id,
    });
    expect(incoming[0]!.data.message_id).toMatch(/^wamid\./);
    const history = await t.app.store.messages.history(orgId, contact._id, { limit: 10 });
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({
      direction: 'inbound',
      type: 'text',
      content: { body: 'Does it come in another color?' },
    });
  });

  it.each([
    [
      'an interactive button reply',
      {
        type: 'interactive',
        interactive: { type: 'button_reply', button_reply: { id: 'support', title: 'Support' } },
      },
      'Support',
    ],
    [
      'a list reply',
      {
        type: 'interactive',
        interactive: {
          type: 'list_reply',
          list_reply: { id: 'r1', title: 'Refunds', description: 'x' },
        },
      },
      'Refunds',
    ],
    [
      'a reaction',
      { type: 'reaction', reaction: { message_id: 'wamid.X', emoji: '\u{1F44D}' } },
      '\u{1F44D}',
    ],
    [
      'an image',
      {
        type: 'image',
        image: {
          caption: 'my order',
          mime_type: 'image/jpeg',
          sha256: 'abc',
          id: '1003383421387256',
        },
      },
      'my order',
    ],
    [
      'a location',
      { type: 'location', location: { latitude: 37.48, longitude: -122.15, name: 'Office' } },
      null,
    ],
  ])('takes %s', async (_what, message, text) => {
    const from = customer();
    expect((await post(inbound(from, message))).statusCode).toBe(200);
    const [event] = (await events('message.incoming')).filter((e) => e.data.from === `+${from}`);
    expect(event?.data).toMatchObject({ type: message.type, text });
    const content = message[message.type as keyof typeof message] as unknown as object;
    // A file's message also says where Waflow keeps it (`media`; Meta's sha256 here is no hash).
    expect(event?.data.content).toEqual(
      message.type === 'image'
        ? {
            ...content,
            media: {
              mime_type: 'image/jpeg',
              size: null,
              sha256: null,
              url: expect.stringContaining('/api/media/signed/'),
            },
          }
        : content,
    );
  });

  it('moves the window clock forward only', async () => {
    const from = customer();
    const at = (s: number) => ({ type: 'text', text: { body: `t${s}` }, timestamp: String(s) });
    await post(inbound(from, at(1_800_000_000)));
    await post(inbound(from, at(1_700_000_000)));
    const contact = await t.app.store.contacts.findByPhone(orgId, `+${from}`);
    expect(contact?.last_inbound_at?.getTime()).toBe(1_800_000_000_000);
  });

  describe('statuses', () => {
    /** An outbound message as the send activity stores it; `known` once Meta answered. */
    async function outbound(known = true) {
      const id = randomUUID();
      const w = wamid();
      await t.app.store.messages.insert({
        _id: id,
        org_id: orgId,
        account_id: account._id,
        contact_id: randomUUID(),
        direction: 'outbound',
        phone_number: '+16505551234',
        user_id: null,
        type: 'template',
        content: { name: 'order_confirmation' },
        origin: 'api',
        origin_id: null,
        request_hash: null,
        wamid: null,
        status: 'queued',
      });
      if (known) await t.app.store.messages.setWamid(id, w);
      return { id, wamid: w };
    }
    const status = (id: string, s: string, ts: number, extra: Record<string, unknown> = {}) =>
      webhook({
        statuses: [
          {
            id,
            status: s,
            timestamp: String(ts),
            recipient_id: '16505551234',
            pricing: { billable: true, pricing_model: 'PMP', category: 'utility' },
            ...extra,
          },
        ],
      });

    it('never moves backwards and emits each status once despite duplicates and reordering', async () => {
      const m = await outbound();
      for (const [s, ts] of [
        ['delivered', 1_750_000_002],
        ['sent', 1_750_000_001],
        ['delivered', 1_750_000_002],
        ['read', 1_750_000_003],
        ['read', 1_750_000_003],
        ['delivered', 1_750_000_002],
      ] as const) {
        expect((await post(status(m.wamid, s, ts))).statusCode).toBe(200);
      }
      const doc = (await t.app.store.messages.get(orgId, m.id))!;
      expect(doc.status).toBe('read');
      expect(doc.status_history.map((h) => h.status)).toEqual([
        'queued',
        'delivered',
        'sent',
        'read',
      ]);
      for (const type of ['message.sent', 'message.delivered', 'message.read']) {
        const mine = (await events(type)).filter((e) => e.data.message_id === m.wamid);
        expect(mine).toHaveLength(1);
        expect(mine[0]!.data).toMatchObject({
          to: '+16505551234',
          type: 'template',
          status: type.split('.')[1],
        });
      }
    });

    it("records a failure with Meta's code and message", async () => {
      const m = await outbound();
      await post(status(m.wamid, 'sent', 1_750_000_001));
      await post(
        status(m.wamid, 'failed', 1_750_000_002, {
          errors: [
            {
              code: 131047,
              title: 'Re-engagement message',
              message: 'Re-engagement message',
              error_data: {
                details: 'Message failed to send because more than 24 hours have passed',
              },
            },
          ],
        }),
      );
      const doc = (await t.app.store.messages.get(orgId, m.id))!;
      expect(doc).toMatchObject({
        status: 'failed',
        error: { code: 131047, message: 'Re-engagement message' },
      });
      const failed = (await events('message.failed')).filter((e) => e.data.message_id === m.wamid);
      expect(failed).toHaveLength(1);
      expect(failed[0]!.data).toMatchObject({
        error_code: 131047,
        error_message: 'Re-engagement message',
      });
    });

    it('links a status that arrives before the send recorded its wamid', async () => {
      const { id, wamid: w } = await outbound(false);
      await post(status(w, 'sent', 1_750_000_001, { biz_opaque_callback_data: id }));
      expect(await t.app.store.messages.get(orgId, id)).toMatchObject({ wamid: w, status: 'sent' });
    });
  });
});

describe('POST /api/webhooks/meta before the signature is checked', () => {
  it('refuses a request without X-Hub-Signature-256 with 401 before reading its body', async () => {
    const res = await post('{not json', null);
    expect(res.statusCode).toBe(401);
    expect(res.json().message).toMatch(/X-Hub-Signature-256/);
  });

  it('refuses a malformed signature header with 401 whatever the body', async () => {
    expect((await post('{not json', 'sha256=zz')).statusCode).toBe(401);
  });

  it.each([
    ['a null body', 'null', /body/],
    ['an entry that is not a list', '{"object":"whatsapp_business_account","entry":{}}', /entry/],
    ['a change without its field', webhookWithChange({ value: {} }), /field/],
    [
      'messages that are not a list',
      webhookWithChange({ field: 'messages', value: { messages: 1 } }),
      /messages/,
    ],
  ])('answers %s with 400 naming what is wrong', async (_what, body, names) => {
    const before = await stored();
    const res = await post(body);
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(names);
    expect(await stored()).toBe(before);
  });
});

function webhookWithChange(change: Record<string, unknown>) {
  return JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [{ id: '102290129340398', changes: [change] }],
  });
}

describe.each(STORE_KINDS)('a phone_number_id that is not a string of digits, on %s', (kind) => {
  let app: TestApp;
  let lookups: unknown[];
  beforeAll(async () => {
    app = await createTestApp({ env: { WAFLOW_STORE: kind } });
    await app.app.store.accounts.create(app.org.organization.id, {
      name: 'Main',
      phoneNumberId: '106540352242922',
      wabaId: '102290129340398',
      accessToken: 'EAAG',
      appSecret: APP_SECRET,
      verifyToken: `${VERIFY_TOKEN}-${kind}`,
    });
    lookups = [];
    const find = app.app.store.accounts.findByPhoneNumberId.bind(app.app.store.accounts);
    app.app.store.accounts.findByPhoneNumberId = (id) => {
      lookups.push(id);
      return find(id);
    };
  });
  afterAll(() => app?.close());

  it.each([{ $ne: null }, { $gt: '' }, 106540352242922, '1065403522 OR 1=1'])(
    'answers %j with 400 before any lookup',
    async (phoneNumberId) => {
      const body = webhookWithChange({
        field: 'messages',
        value: { metadata: { phone_number_id: phoneNumberId } },
      });
      const res = await app.app.inject({
        method: 'POST',
        url: '/api/webhooks/meta',
        headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(body) },
        payload: body,
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().message).toMatch(/phone_number_id: must be a string of digits/);
      expect(lookups).toEqual([]);
    },
  );

  it('matches no account when the store is asked with a query operator', async () => {
    const operator = { $ne: null } as unknown as string;
    expect(await app.app.store.accounts.findByPhoneNumberId(operator)).toBeNull();
  });
});

describe('request logs', () => {
  it('never show the verify token of the handshake, and keep the rest of the URL', async () => {
    const lines: string[] = [];
    const logged = await createTestApp({
      env: { LOG_LEVEL: 'info' },
      logger: true,
      logStream: { write: (line) => void lines.push(line) },
    });
    try {
      const token = 'secret-verify-token-4242';
      await logged.app.store.accounts.create(logged.org.organization.id, {
        name: 'Main',
        phoneNumberId: '106540352242923',
        wabaId: '102290129340398',
        accessToken: 'EAAG',
        appSecret: APP_SECRET,
        verifyToken: token,
      });
      for (const key of ['hub.verify_token', 'hub%2Everify_token', 'hub.verify%5Ftoken']) {
        const res = await logged.app.inject({
          method: 'GET',
          url: `/api/webhooks/meta?hub.mode=subscribe&${key}=${token}&hub.challenge=77`,
        });
        expect(res.body).toBe('77');
      }
      const urls = lines
        .map((l) => (JSON.parse(l) as { req?: { url: string } }).req?.url)
        .filter(Boolean);
      expect(urls).toHaveLength(3);
      expect(urls[0]).toBe(
        '/api/webhooks/meta?hub.mode=subscribe&hub.verify_token=[REDACTED]&hub.challenge=77',
      );
      expect(lines.join('\n')).not.toContain(token);
    } finally {
      await logged.close();
    }
  });
});

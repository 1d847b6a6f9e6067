import { createHmac } from 'node:crypto';
import { freePort } from '../../scripts/infra';
import {
  CUSTOMER,
  CUSTOMER_USER_ID,
  CUSTOMER_WA_ID,
  PHONE_ID,
  SECRET,
  startHarness,
  template,
  text,
  textParams,
  valueOf,
  wamidOf,
  type Harness,
} from './helpers';

const DAY_MS = 24 * 60 * 60 * 1000;

describe('Meta simulator: status webhooks', () => {
  let h: Harness;

  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(() => h.close());

  it('posts sent and delivered inside the 24 h window, and failed 131047 once it has passed', async () => {
    await h.sim.inbound({ phone_number_id: PHONE_ID, from: CUSTOMER, text: 'Hi!' });
    const inside = await wamidOf(await h.send(text('Thanks for writing')));
    await h.sim.idle();
    expect(h.receiver.statusesOf(inside)).toEqual(['sent', 'delivered']);
    const sent = h.receiver.statuses().find((s) => s.id === inside);
    expect(sent).toEqual({
      id: inside,
      status: 'sent',
      timestamp: String(Math.floor(h.clock.now() / 1000)),
      recipient_id: CUSTOMER_WA_ID,
      // A user the simulator knows (they wrote in): Meta names them by both ids.
      recipient_user_id: CUSTOMER_USER_ID,
      conversation: {
        id: expect.any(String),
        expiration_timestamp: String(Math.floor(h.clock.now() / 1000) + 86_400),
        origin: { type: 'service' },
      },
      pricing: expect.objectContaining({ category: 'service' }),
    });

    h.clock.advance(DAY_MS - 1);
    const stillInside = await wamidOf(await h.send(text('Almost a day later')));
    h.clock.advance(1);
    const outside = await wamidOf(await h.send(text('A day later')));
    // Templates are not bound to the window.
    const viaTemplate = await wamidOf(await h.send(template('hello_world', [], 'en_US')));
    await h.sim.idle();
    expect(h.receiver.statusesOf(stillInside)).toEqual(['sent', 'delivered']);
    expect(h.receiver.statusesOf(viaTemplate)).toEqual(['sent', 'delivered']);
    const failed = h.receiver.statuses().filter((s) => s.id === outside);
    expect(failed).toEqual([
      {
        id: outside,
        status: 'failed',
        timestamp: expect.any(String),
        recipient_id: CUSTOMER_WA_ID,
        recipient_user_id: CUSTOMER_USER_ID,
        errors: [
          {
            code: 131047,
            title: 'Re-engagement message',
            message: 'Re-engagement message',
            error_data: {
              details:
                'Message failed to send because more than 24 hours have passed since the customer last replied to this number.',
            },
            href: expect.any(String),
          },
        ],
      },
    ]);
  });

  it('wraps statuses in Meta’s envelope and signs the exact body with the app secret', async () => {
    await h.sim.inbound({ phone_number_id: PHONE_ID, from: CUSTOMER, text: 'Hi' });
    await h.send(text());
    await h.sim.idle();
    expect(h.receiver.received.length).toBeGreaterThanOrEqual(3);
    const number = h.sim.phoneNumber(PHONE_ID);
    for (const r of h.receiver.received) {
      const expected = createHmac('sha256', SECRET).update(r.raw).digest('hex');
      expect(r.headers['x-hub-signature-256']).toBe(`sha256=${expected}`);
      const forged = createHmac('sha256', 'other-secret').update(r.raw).digest('hex');
      expect(r.headers['x-hub-signature-256']).not.toBe(`sha256=${forged}`);
      expect(r.body).toMatchObject({
        object: 'whatsapp_business_account',
        entry: [
          {
            id: number.wabaId,
            changes: [
              {
                field: 'messages',
                value: {
                  messaging_product: 'whatsapp',
                  metadata: {
                    display_phone_number: number.displayPhoneNumber,
                    phone_number_id: PHONE_ID,
                  },
                },
              },
            ],
          },
        ],
      });
    }
    expect(h.sim.webhookLog.every((w) => w.delivered && w.attempts === 1)).toBe(true);
  });

  it('echoes biz_opaque_callback_data and bills templates in their category', async () => {
    const res = await h.send({
      ...template('order_confirmation', [
        { type: 'body', parameters: textParams('Asha', '#1042') },
      ]),
      biz_opaque_callback_data: 'campaign:42',
    });
    const wamid = await wamidOf(res);
    await h.sim.idle();
    const statuses = h.receiver.statuses().filter((s) => s.id === wamid);
    expect(statuses).toHaveLength(2);
    for (const s of statuses) expect(s.biz_opaque_callback_data).toBe('campaign:42');
    expect(statuses[0]!.pricing).toMatchObject({ billable: true, category: 'utility' });
  });

  it('posts read after delivered at the read rate, and duplicates every post at rate 1', async () => {
    h.sim.setOptions({ statusWebhooks: { readRate: 1, duplicateRate: 1 } });
    const wamid = await wamidOf(await h.send(template('hello_world', [], 'en_US')));
    await h.sim.idle();
    expect(h.receiver.statusesOf(wamid)).toEqual([
      'sent',
      'sent',
      'delivered',
      'delivered',
      'read',
      'read',
    ]);
    const [a, b] = h.receiver.received;
    expect(a!.raw).toBe(b!.raw);
  });

  it('posts delivered and read before sent at reorder rate 1, and nothing past sent at delivered rate 0', async () => {
    h.sim.setOptions({ statusWebhooks: { readRate: 1, reorderRate: 1 } });
    const reordered = await wamidOf(await h.send(template('hello_world', [], 'en_US')));
    await h.sim.idle();
    h.sim.setOptions({ statusWebhooks: { deliveredRate: 0, reorderRate: 0 } });
    const undelivered = await wamidOf(await h.send(template('hello_world', [], 'en_US')));
    await h.sim.idle();
    expect(h.receiver.statusesOf(reordered)).toEqual(['delivered', 'read', 'sent']);
    expect(h.receiver.statusesOf(undelivered)).toEqual(['sent']);
  });

  it('retries a failing receiver, logs the outcome, and keeps serving when the engine is down', async () => {
    let calls = 0;
    h.receiver.respondWith(() => (++calls === 1 ? 500 : 200));
    h.sim.setOptions({ statusWebhooks: { deliveredRate: 0 } });
    await h.send(template('hello_world', [], 'en_US'));
    await h.sim.idle();
    expect(h.sim.webhookLog[0]).toMatchObject({
      kind: 'status',
      status: 'sent',
      attempts: 2,
      response_status: 200,
      delivered: true,
      error: null,
    });

    const down = `http://127.0.0.1:${await freePort()}/down`;
    h.sim.setOptions({ webhookUrl: down });
    const res = await h.send(template('hello_world', [], 'en_US'));
    expect(res.status).toBe(200);
    await h.sim.idle();
    expect(h.sim.webhookLog[1]).toMatchObject({
      url: down,
      attempts: 3,
      response_status: null,
      delivered: false,
      error: 'ECONNREFUSED',
    });
    expect((await h.send(template('hello_world', [], 'en_US'))).status).toBe(200);
    await h.sim.idle();
    // Counted once per webhook, however many attempts: three posted, the first delivered.
    const stats = h.sim.webhookStats();
    expect(stats).toMatchObject({ posted: 3, delivered: 1 });
    const sum = (bySecond: Record<string, number>) =>
      Object.values(bySecond).reduce((a, b) => a + b, 0);
    expect(sum(stats.posted_per_second)).toBe(3);
    expect(sum(stats.delivered_per_second)).toBe(1);
    const second = Number(Object.keys(stats.delivered_per_second)[0]) * 1000;
    expect(Math.abs(second - Date.now())).toBeLessThan(60_000);
  });

  it('closes promptly with status webhooks still waiting', async () => {
    h.sim.setOptions({ statusWebhooks: { delayMs: 60_000 } });
    await h.send(template('hello_world', [], 'en_US'));
    const started = performance.now();
    await h.sim.close();
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(h.receiver.received).toHaveLength(0);
  });
});

describe('Meta simulator: inbound customer messages', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());
  beforeEach(() => h.receiver.received.splice(0));

  const lastValue = () => valueOf(h.receiver.received.at(-1)!);
  const lastMessage = () => lastValue().messages![0]!;

  it('posts a text message with the contact’s profile', async () => {
    const { wamid } = await h.sim.inbound({
      phone_number_id: PHONE_ID,
      from: CUSTOMER,
      name: 'Asha',
      type: 'text',
      text: 'Where is my order?',
    });
    await h.sim.idle();
    const value = lastValue();
    expect(value.contacts).toEqual([
      { profile: { name: 'Asha' }, wa_id: CUSTOMER_WA_ID, user_id: CUSTOMER_USER_ID },
    ]);
    expect(value.messages).toEqual([
      {
        from: CUSTOMER_WA_ID,
        from_user_id: CUSTOMER_USER_ID,
        id: wamid,
        timestamp: String(Math.floor(h.clock.now() / 1000)),
        type: 'text',
        text: { body: 'Where is my order?' },
      },
    ]);
    expect(wamid).toMatch(/^wamid\./);
    expect(value.statuses).toBeUndefined();
  });

  it('posts an interactive button reply with the context of the message it answers', async () => {
    await h.sim.inbound({
      phone_number_id: PHONE_ID,
      from: CUSTOMER,
      type: 'interactive',
      context_id: 'wamid.business-message',
      interactive: { type: 'button_reply', button_reply: { id: 'confirm', title: 'Confirm' } },
    });
    await h.sim.idle();
    expect(lastMessage()).toEqual({
      context: {
        from: h.sim.phoneNumber(PHONE_ID).displayPhoneNumber,
        id: 'wamid.business-message',
      },
      from: CUSTOMER_WA_ID,
      from_user_id: CUSTOMER_USER_ID,
      id: expect.stringMatching(/^wamid\./),
      timestamp: expect.any(String),
      type: 'interactive',
      interactive: { type: 'button_reply', button_reply: { id: 'confirm', title: 'Confirm' } },
    });
  });

  it('posts a reaction, and a raw Meta message as given', async () => {
    await h.sim.inbound({
      phone_number_id: PHONE_ID,
      from: CUSTOMER,
      type: 'reaction',
      reaction: { message_id: 'wamid.business-message', emoji: '👍' },
    });
    await h.sim.idle();
    expect(lastMessage()).toMatchObject({
      type: 'reaction',
      reaction: { message_id: 'wamid.business-message', emoji: '👍' },
    });
    expect(lastMessage().context).toBeUndefined();

    await h.sim.inbound({
      phone_number_id: PHONE_ID,
      from: CUSTOMER,
      message: { id: 'wamid.fixed', type: 'location', location: { latitude: 1, longitude: 2 } },
    });
    await h.sim.idle();
    expect(lastMessage()).toEqual({
      from: CUSTOMER_WA_ID,
      from_user_id: CUSTOMER_USER_ID,
      id: 'wamid.fixed',
      timestamp: expect.any(String),
      type: 'location',
      location: { latitude: 1, longitude: 2 },
    });
  });

  it('refuses an inbound message it cannot build', async () => {
    await expect(
      h.sim.inbound({ phone_number_id: PHONE_ID, from: 'nobody', text: 'hi' }),
    ).rejects.toThrow(/from/);
    await expect(
      h.sim.inbound({ phone_number_id: PHONE_ID, from: CUSTOMER, type: 'text' }),
    ).rejects.toThrow(/text is required/);
  });
});

import { createMessagingHarness, type MessagingHarness } from '../support/messaging';
import { waitUntil } from '../support/send-queue';
import { randomUUID } from 'node:crypto';
import { referenceLines } from '../support/woo-reference';
import { wooDelivery, wooOrder } from '../support/woocommerce';

/**
 * WooCommerce order notifications on the real stack: signed deliveries to the API, the order's
 * workflow on Temporal, the send pipeline and the simulator, whose log says what was sent.
 */
jest.setTimeout(120_000);

let h: MessagingHarness;

beforeAll(async () => {
  h = await createMessagingHarness();
  const sync = await h.call({ method: 'POST', url: '/api/templates/sync', payload: {} });
  expect(sync.statusCode).toBe(200);
});

afterAll(() => h?.close());

const BASE = '/api/integrations/woocommerce/stores';

/** A store's own order_shipped mapping: the courier's name where the default has the link. */
const SHIPPED = {
  name: 'order_shipped',
  language: 'en',
  components: [
    {
      type: 'body',
      parameters: [
        { type: 'text', text: '{{order_number}}' },
        { type: 'text', text: '{{tracking_provider | tracking_url | our courier}}' },
      ],
    },
  ],
};

async function createStore(over: Record<string, unknown> = {}) {
  const res = await h.call({
    method: 'POST',
    url: BASE,
    payload: {
      name: 'Shop',
      site_url: 'https://shop.example',
      status_templates: { shipped: SHIPPED },
      ...over,
    },
  });
  expect(res.statusCode).toBe(201);
  return res.json().data as { id: string; webhook_secret: string; delivery_url: string };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- assertions read the JSON view
type Json = any;

const orderView = async (storeId: string, orderId: number | string): Promise<Json> => {
  const res = await h.call({ method: 'GET', url: `${BASE}/${storeId}/orders/${orderId}` });
  return res.statusCode === 200 ? res.json().data : null;
};

/** Template sends the simulator accepted for `phone` (E.164), oldest first, by template name. */
const templatesSentTo = (phone: string) =>
  h.sim.log
    .filter(
      (e) => e.status === 200 && (e.body as { to?: string } | null)?.to === phone.replace('+', ''),
    )
    .map((e) => (e.body as { template: { name: string } }).template.name);

const idle = () => h.app.woo.intake.idle();

describe('stores', () => {
  it('creates a store with defaults, a generated secret and its delivery URL', async () => {
    const shop = await createStore({ status_templates: undefined });
    expect(shop.webhook_secret.length).toBeGreaterThanOrEqual(32);
    expect(shop.delivery_url).toMatch(new RegExp(`/api/webhooks/woocommerce/${shop.id}$`));
    expect(shop).toMatchObject({
      status_templates: {
        processing: { name: 'order_confirmation' },
        shipped: { name: 'order_shipped' },
        completed: { name: 'order_delivered' },
      },
      pending_reminder: {
        enabled: true,
        delay_minutes: 60,
        template: { name: 'payment_reminder' },
      },
      opt_in: { required: false, meta_key: 'whatsapp_opt_in' },
      max_messages_per_order: 3,
    });
    const got = await h.call({ method: 'GET', url: `${BASE}/${shop.id}` });
    expect(got.json().data.webhook_secret).toBe(shop.webhook_secret);
    const list = await h.call({ method: 'GET', url: BASE });
    const listed = (list.json().data as { id: string }[]).find((s) => s.id === shop.id);
    expect(listed).toBeDefined();
    expect(listed).not.toHaveProperty('webhook_secret');
  });

  it('updates by merging templates, keeps a given secret, and deletes', async () => {
    const shop = await createStore({ webhook_secret: 'a-secret-of-mine' });
    expect(shop.webhook_secret).toBe('a-secret-of-mine');
    const res = await h.call({
      method: 'PATCH',
      url: `${BASE}/${shop.id}`,
      payload: {
        status_templates: {
          completed: null,
          cancelled: { name: 'hello_world', language: 'en_US' },
        },
        max_messages_per_order: 2,
      },
    });
    expect(res.statusCode).toBe(200);
    const data = res.json().data;
    expect(data.status_templates.completed).toBeNull();
    expect(data.status_templates.processing.name).toBe('order_confirmation');
    expect(data.status_templates.cancelled).toEqual({
      name: 'hello_world',
      language: 'en_US',
      components: [],
    });
    expect(data.max_messages_per_order).toBe(2);
    expect((await h.call({ method: 'DELETE', url: `${BASE}/${shop.id}` })).statusCode).toBe(204);
    expect((await h.call({ method: 'GET', url: `${BASE}/${shop.id}` })).statusCode).toBe(404);
    expect((await h.call({ method: 'DELETE', url: `${BASE}/${shop.id}` })).statusCode).toBe(404);
  });

  it('refuses bad input naming what is wrong', async () => {
    const bad = async (payload: unknown, status = 400) => {
      const res = await h.call({ method: 'POST', url: BASE, payload: payload as object });
      expect(res.statusCode).toBe(status);
      return res.json().message as string;
    };
    expect(await bad({ site_url: 'https://shop.example' })).toMatch(/name/);
    expect(await bad({ name: 'x', site_url: 'not a url' })).toMatch(/site_url/);
    expect(
      await bad({
        name: 'x',
        site_url: 'https://shop.example',
        status_templates: {
          processing: {
            name: 't',
            components: [{ type: 'body', parameters: [{ type: 'text', text: '{{shoe_size}}' }] }],
          },
        },
      }),
    ).toBe('status_templates.processing: unknown placeholder {{shoe_size}}');
    expect(
      await bad({ name: 'x', site_url: 'https://shop.example', max_messages_per_order: 0 }),
    ).toMatch(/max_messages_per_order/);
    expect(
      await bad({ name: 'x', site_url: 'https://shop.example', whatsapp_account: 'nope' }, 404),
    ).toMatch(/nope/);
  });
});

describe('the webhook', () => {
  it("answers WooCommerce's ping, and 404 for an unknown store", async () => {
    const shop = await createStore();
    const ping = await h.app.inject({
      method: 'POST',
      url: `/api/webhooks/woocommerce/${shop.id}`,
      payload: 'webhook_id=17',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(ping.statusCode).toBe(200);
    const unknown = await h.app.inject(
      wooDelivery({ storeId: 'no-such-store', secret: 'x', body: wooOrder() }),
    );
    expect(unknown.statusCode).toBe(404);
  });

  it('refuses a bad or missing signature with 401 and stores nothing', async () => {
    const shop = await createStore();
    const order = wooOrder();
    for (const signature of ['bm90IHRoZSBzaWduYXR1cmU=', null]) {
      const res = await h.app.inject(
        wooDelivery({
          storeId: shop.id,
          secret: shop.webhook_secret,
          body: order,
          signature,
          deliveryId: 'd-bad',
        }),
      );
      expect(res.statusCode).toBe(401);
      expect(res.json().message).toMatch(/signature/i);
    }
    const signedWithOther = await h.app.inject(
      wooDelivery({ storeId: shop.id, secret: 'other-secret', body: order }),
    );
    expect(signedWithOther.statusCode).toBe(401);
    expect(await h.app.store.wooDeliveries.get(`${shop.id}:d-bad`)).toBeNull();
    await idle();
    expect(await orderView(shop.id, order.id)).toBeNull();
  });

  it('acknowledges other topics without acting, and refuses a signed body that is no order', async () => {
    const shop = await createStore();
    const other = await h.app.inject(
      wooDelivery({
        storeId: shop.id,
        secret: shop.webhook_secret,
        body: { id: 5 },
        topic: 'product.updated',
      }),
    );
    expect(other.statusCode).toBe(200);
    expect(other.json().data).toEqual({ received: true, ignored: true });
    const notJson = await h.app.inject(
      wooDelivery({ storeId: shop.id, secret: shop.webhook_secret, body: '{oops' }),
    );
    expect(notJson.statusCode).toBe(400);
    const noId = await h.app.inject(
      wooDelivery({
        storeId: shop.id,
        secret: shop.webhook_secret,
        body: { status: 'processing' },
      }),
    );
    expect(noId.statusCode).toBe(400);
    expect(noId.json().message).toMatch(/id/);
  });
});

describe("the store-less delivery URL (the reference's)", () => {
  // Its setup page, step 2: https://app.aisoule.com/api/webhooks/woocommerce
  const url = new URL(referenceLines('woocommerce-delivery-url.txt')[0]!).pathname;
  const site = () => `https://woo-${randomUUID().slice(0, 8)}.example`;

  it('finds the store by X-WC-Webhook-Source, checks its signature, and sends as its own URL does', async () => {
    const home = site();
    const shop = await createStore({ site_url: home.replace('https://', 'https://WWW.') });
    const other = await createStore({ site_url: site() });
    const order = wooOrder({ billing: { ...wooOrder().billing, phone: '+447400900011' } });
    // WooCommerce names its site as home_url('/'): lower case, a trailing slash.
    const source = `${home.replace('https://', 'https://www.')}/`;
    const post = (over: { secret?: string; signature?: string | null } = {}) =>
      h.app.inject(
        wooDelivery({
          storeId: '',
          url,
          source,
          secret: over.secret ?? shop.webhook_secret,
          signature: over.signature,
          body: order,
          topic: 'order.created',
        }),
      );
    for (const bad of [{ secret: other.webhook_secret }, { signature: null }]) {
      const refused = await post(bad);
      expect(refused.statusCode).toBe(401);
      expect(refused.json().message).toMatch(/signature/i);
    }
    const res = await post();
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ data: { received: true }, status: 'success' });
    expect((await post()).json().data).toEqual({ received: true, duplicate: true });
    await idle();
    await waitUntil('confirmation sent', async () => templatesSentTo('+447400900011').length === 1);
    expect(templatesSentTo('+447400900011')).toEqual(['order_confirmation']);
    expect((await orderView(shop.id, order.id))?.number).toBe(String(order.id));
    expect(await orderView(other.id, order.id)).toBeNull();
  });

  it("answers WooCommerce's ping, which names no site, as a store's own URL does", async () => {
    const ping = (source?: string) =>
      h.app.inject({
        method: 'POST',
        url,
        payload: 'webhook_id=17',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'user-agent': 'WooCommerce/9.4.2 Hookshot (WordPress/6.7.1)',
          ...(source ? { 'x-wc-webhook-source': source } : {}),
        },
      });
    const res = await ping();
    expect(res.statusCode).toBe(200);
    expect(res.json().data).toEqual({ received: true });
    const home = site();
    await createStore({ site_url: home });
    expect((await ping(`${home}/`)).statusCode).toBe(200);
    expect((await ping(site())).statusCode).toBe(404);
  });

  it('refuses a site no store has (404), one two stores share (409, naming the per-store URL), and no site (400)', async () => {
    const home = site();
    const post = (shop: { webhook_secret: string }, source: string | null = `${home}/`) =>
      h.app.inject(
        wooDelivery({ storeId: '', url, source, secret: shop.webhook_secret, body: wooOrder() }),
      );
    const first = await createStore({ site_url: home });
    expect((await post(first)).statusCode).toBe(200);

    const unknown = await post(first, `${site()}/`);
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().message).toMatch(/No WooCommerce store has the site URL/);

    const noSource = await post(first, null);
    expect(noSource.statusCode).toBe(400);
    expect(noSource.json().message).toMatch(/^Missing X-WC-Webhook-Source/);

    // A second store of the same site: each takes its own URL only.
    const second = await createStore({ site_url: `${home}/` });
    for (const shop of [first, second]) {
      const res = await post(shop);
      expect(res.statusCode).toBe(409);
      expect(res.json().message).toMatch(/More than one WooCommerce store has the site URL/);
      expect(res.json().message).toContain('/api/webhooks/woocommerce/<store id>');
    }
    const own = await h.app.inject(
      wooDelivery({ storeId: second.id, secret: second.webhook_secret, body: wooOrder() }),
    );
    expect(own.statusCode).toBe(200);
  });
});

describe('the webhook body limit', () => {
  it('refuses a body over the limit with 413, storing nothing', async () => {
    const shop = await createStore();
    const order = wooOrder({ customer_note: 'x'.repeat(h.app.config.http.webhookBodyLimit) });
    const res = await h.app.inject(
      wooDelivery({ storeId: shop.id, secret: shop.webhook_secret, body: order }),
    );
    expect(res.statusCode).toBe(413);
    expect(res.json()).toEqual({
      status: 'error',
      message: 'Request body is too large: the limit is 1 MB',
      code: 'payload_too_large',
    });
    await idle();
    expect(await orderView(shop.id, order.id)).toBeNull();

    const meta = await h.app.inject({
      method: 'POST',
      url: '/api/webhooks/meta',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': 'sha256=00' },
      payload: JSON.stringify({
        entry: [],
        pad: 'x'.repeat(h.app.config.http.metaWebhookBodyLimit),
      }),
    });
    expect(meta.statusCode).toBe(413);
    expect(meta.json().message).toBe('Request body is too large: the limit is 3 MB');
  });
});

describe('order notifications', () => {
  it('takes two changes of an order within one second, which WooCommerce gives one delivery id, and a redelivery once', async () => {
    const shop = await createStore();
    const order = wooOrder({ billing: { ...wooOrder().billing, phone: '07400 900077' } });
    const phone = '+447400900077';
    // WooCommerce's delivery id is wp_hash(webhook_id . time()): the same within a second.
    const post = (body: object, deliveryId = 'd41d8cd98f00b204e9800998ecf8427e') =>
      h.app.inject(
        wooDelivery({ storeId: shop.id, secret: shop.webhook_secret, body, deliveryId }),
      );
    const completed = { ...order, status: 'completed', date_completed: '2025-03-01T10:00:06' };

    expect((await post(order)).json().data).toEqual({ received: true });
    expect((await post(completed)).json().data).toEqual({ received: true });
    for (const deliveryId of ['d41d8cd98f00b204e9800998ecf8427e', 'another-delivery-id']) {
      expect((await post(completed, deliveryId)).json().data).toEqual({
        received: true,
        duplicate: true,
      });
    }
    await idle();
    await waitUntil('both messages sent', async () => templatesSentTo(phone).length === 2);
    expect(templatesSentTo(phone)).toEqual(['order_confirmation', 'order_delivered']);
    await h.settle();
    expect(templatesSentTo(phone)).toHaveLength(2);
  });

  it('confirms, ships and delivers an order once each, its customer a contact with a national number made E.164', async () => {
    const shop = await createStore();
    const order = wooOrder({ billing: { ...wooOrder().billing, phone: '07400 900001' } });
    const phone = '+447400900001';
    const post = (body: object, deliveryId?: string, topic?: string) =>
      h.app.inject(
        wooDelivery({ storeId: shop.id, secret: shop.webhook_secret, body, deliveryId, topic }),
      );

    const first = await post(order, 'delivery-1', 'order.created');
    expect(first.statusCode).toBe(200);
    const again = await post(order, 'delivery-1', 'order.created');
    expect(again.json().data).toEqual({ received: true, duplicate: true });
    await idle();
    await waitUntil('confirmation sent', async () => templatesSentTo(phone).length === 1);

    const contact = await h.app.store.contacts.findByPhone(h.account.org_id, phone);
    expect(contact).toMatchObject({
      name: 'Asha Patel',
      email: 'asha@example.com',
      tags: ['woocommerce'],
      source: 'woocommerce',
      custom_fields: { last_order_number: String(order.id), last_order_total: '£54.99' },
    });

    const tracking = [
      {
        id: 90,
        key: '_wc_shipment_tracking_items',
        value: [
          { tracking_provider: 'Royal Mail', tracking_number: 'RM123', date_shipped: '1740823200' },
        ],
      },
    ];
    await post({
      ...order,
      status: 'completed',
      meta_data: tracking,
      date_completed: '2025-03-02T09:00:00',
    });
    await idle();
    await waitUntil('shipping update sent', async () => templatesSentTo(phone).length === 2);
    // Another edit of the order with the same status sends nothing, nor does an unmapped one.
    await post({
      ...order,
      status: 'completed',
      meta_data: tracking,
      customer_note: 'Leave at door',
    });
    await post({ ...order, status: 'delivered', meta_data: tracking });
    await idle();
    await waitUntil(
      'order recorded',
      async () => (await orderView(shop.id, order.id))?.statuses.length === 3,
    );
    expect(templatesSentTo(phone)).toEqual(['order_confirmation', 'order_shipped']);

    const shipped = h.sim.log.find(
      (e) =>
        e.status === 200 &&
        (e.body as { template?: { name: string } } | null)?.template?.name === 'order_shipped' &&
        (e.body as { to?: string } | null)?.to === '447400900001',
    )?.body as { template: { components: { parameters: Record<string, unknown>[] }[] } };
    expect(shipped.template.components[0]!.parameters.map((p) => p.text)).toEqual([
      String(order.id),
      'Royal Mail',
    ]);

    await h.settle();
    const view = await orderView(shop.id, order.id);
    expect(view).toMatchObject({
      number: String(order.id),
      status: 'delivered',
      phone_number: phone,
      contact_id: contact!._id,
      total: '54.99',
      currency: 'GBP',
    });
    expect(
      view.statuses.map((s: { status: string; raw_status: string }) => [s.status, s.raw_status]),
    ).toEqual([
      ['processing', 'processing'],
      ['shipped', 'completed'],
      ['delivered', 'delivered'],
    ]);
    expect(view.messages.map((m: { template: string }) => m.template)).toEqual([
      'order_confirmation',
      'order_shipped',
    ]);
    expect(
      view.messages.every((m: { message_status: string }) =>
        ['sent', 'delivered', 'read'].includes(m.message_status),
      ),
    ).toBe(true);
    expect(
      view.skipped.map((s: { outcome: string; reason: string }) => [s.outcome, s.reason]),
    ).toEqual([['unmapped', 'No template is mapped to delivered']]);
    const list = await h.call({ method: 'GET', url: `${BASE}/${shop.id}/orders` });
    expect(list.json().data.orders.map((o: { order_id: string }) => o.order_id)).toEqual([
      String(order.id),
    ]);
  });

  it("fills a mapping's {{action.<key>}} placeholders from its action, run with the customer and the order", async () => {
    const action = await h.app.store.actions.create(h.org.organization.id, {
      name: `woo-greeting-${Date.now()}`,
      description: null,
      code: 'return { hello: `Hey ${contact.name}`, ref: `#${input.number}-${input.currency}` }',
    });
    const missing = await h.call({
      method: 'POST',
      url: BASE,
      payload: {
        name: 'Shop',
        site_url: 'https://shop.example',
        status_templates: { processing: { name: 'order_confirmation', action_id: 'nope' } },
      },
    });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().message).toBe("Action 'nope' not found");
    const shop = await createStore({
      status_templates: {
        processing: {
          name: 'order_confirmation',
          action_id: action._id,
          components: [
            {
              type: 'body',
              parameters: [
                { type: 'text', text: '{{action.hello}}' },
                { type: 'text', text: '{{action.ref}}' },
              ],
            },
          ],
        },
      },
    });
    const order = wooOrder({ billing: { ...wooOrder().billing, phone: '+447400900009' } });
    await h.app.inject(wooDelivery({ storeId: shop.id, secret: shop.webhook_secret, body: order }));
    await idle();
    await waitUntil('confirmation sent', async () => templatesSentTo('+447400900009').length === 1);
    const sent = h.sim.log.find(
      (e) => e.status === 200 && (e.body as { to?: string } | null)?.to === '447400900009',
    )!.body as { template: { components: { parameters: { text: string }[] }[] } };
    const name = `${order.billing.first_name} ${order.billing.last_name}`;
    expect(sent.template.components[0]!.parameters.map((p) => p.text)).toEqual([
      `Hey ${name}`,
      `#${order.number}-${order.currency}`,
    ]);
  });

  it("reads the billing phone in the billing country, else the organization's default", async () => {
    const shop = await createStore();
    const send = (billing: Record<string, string>) =>
      h.app.inject(
        wooDelivery({
          storeId: shop.id,
          secret: shop.webhook_secret,
          body: wooOrder({ billing: { ...wooOrder().billing, ...billing } }),
        }),
      );
    // The country code is already there: not +65 65 9123 4567.
    await send({ phone: '6591234567', country: 'SG' });
    await idle();
    await waitUntil('Singapore sent', async () => templatesSentTo('+6591234567').length === 1);

    const orgId = h.account.org_id;
    await h.app.store.organizations.update(orgId, { default_country: 'IN' });
    try {
      await send({ phone: '98765 41999', country: '' });
      await idle();
      await waitUntil('India sent', async () => templatesSentTo('+919876541999').length === 1);
    } finally {
      await h.app.store.organizations.update(orgId, { default_country: null });
    }
    expect(await h.app.store.contacts.findByPhone(orgId, '+656591234567')).toBeNull();
  });

  it('confirms an order created paid (the reference maps Order Created to the confirmation) once, whatever is redelivered or reordered', async () => {
    const shop = await createStore();
    // Created paid and completed at once (a download): confirmed, then delivered.
    const order = wooOrder({
      billing: { ...wooOrder().billing, phone: '+447400900012' },
      status: 'completed',
      date_completed: '2025-03-01T10:00:05',
    });
    const post = (body: object, topic = 'order.updated') =>
      h.app.inject(wooDelivery({ storeId: shop.id, secret: shop.webhook_secret, body, topic }));
    expect((await post(order, 'order.created')).statusCode).toBe(200);
    await idle();
    await waitUntil('both sent', async () => templatesSentTo('+447400900012').length === 2);
    // A late processing update, then the created delivery again, with another delivery id.
    await post({ ...order, status: 'processing', date_modified: '2025-03-01T10:00:04' });
    await post(order, 'order.created');
    await idle();
    await waitUntil(
      'late status recorded',
      async () => (await orderView(shop.id, order.id))?.skipped.length === 1,
    );
    await h.settle();
    expect(templatesSentTo('+447400900012')).toEqual(['order_confirmation', 'order_delivered']);
    const view = await orderView(shop.id, order.id);
    expect(
      view.messages.map((m: { status: string; template: string }) => [m.status, m.template]),
    ).toEqual([
      ['processing', 'order_confirmation'],
      ['completed', 'order_delivered'],
    ]);
    expect(view.skipped).toEqual([
      expect.objectContaining({
        status: 'processing',
        outcome: 'ignored',
        reason: 'Status processing was already handled',
      }),
    ]);
  });

  it('sends nothing for a status that arrives after a later one', async () => {
    const shop = await createStore();
    // No payment recorded: not confirmed ahead of its status.
    const order = wooOrder({
      billing: { ...wooOrder().billing, phone: '+447400900006' },
      date_paid: null,
    });
    const post = (status: string) =>
      h.app.inject(
        wooDelivery({ storeId: shop.id, secret: shop.webhook_secret, body: { ...order, status } }),
      );
    await post('completed');
    await idle();
    await waitUntil('delivered sent', async () => templatesSentTo('+447400900006').length === 1);
    await post('processing');
    await idle();
    await waitUntil(
      'late one recorded',
      async () => (await orderView(shop.id, order.id))?.skipped.length === 1,
    );
    const view = await orderView(shop.id, order.id);
    expect(view.skipped[0]).toMatchObject({
      status: 'processing',
      outcome: 'ignored',
      reason: 'Out of order: the order is already past processing',
    });
    expect(view.status).toBe('completed');
    expect(templatesSentTo('+447400900006')).toEqual(['order_delivered']);
  });

  it('sends nothing without opt-in when the store requires it, and records why', async () => {
    const shop = await createStore({ opt_in: { required: true, meta_key: 'whatsapp_opt_in' } });
    const refused = wooOrder({ billing: { ...wooOrder().billing, phone: '+44 7400 900002' } });
    const agreed = wooOrder({
      billing: { ...wooOrder().billing, phone: '+44 7400 900003' },
      meta_data: [{ id: 1, key: 'whatsapp_opt_in', value: 'yes' }],
    });
    for (const body of [refused, agreed]) {
      await h.app.inject(wooDelivery({ storeId: shop.id, secret: shop.webhook_secret, body }));
    }
    await idle();
    await waitUntil(
      'opted-in customer notified',
      async () => templatesSentTo('+447400900003').length === 1,
    );
    await waitUntil(
      'refusal recorded',
      async () => (await orderView(shop.id, refused.id))?.skipped.length === 1,
    );
    const view = await orderView(shop.id, refused.id);
    expect(view.messages).toEqual([]);
    expect(view.skipped[0]).toMatchObject({
      status: 'processing',
      outcome: 'skipped',
      reason: 'No opt-in: the order has no whatsapp_opt_in and the contact has not opted in',
    });
    expect(templatesSentTo('+447400900002')).toEqual([]);
    expect(
      (await h.app.store.contacts.findByPhone(h.account.org_id, '+447400900003'))?.opted_in,
    ).toBe(true);
  });

  it('stops at the per-order maximum', async () => {
    const shop = await createStore({ max_messages_per_order: 1 });
    const order = wooOrder({ billing: { ...wooOrder().billing, phone: '+447400900004' } });
    const post = (status: string) =>
      h.app.inject(
        wooDelivery({ storeId: shop.id, secret: shop.webhook_secret, body: { ...order, status } }),
      );
    await post('processing');
    await idle();
    await waitUntil(
      'confirmation recorded',
      async () => (await orderView(shop.id, order.id))?.messages.length === 1,
    );
    await post('completed');
    await idle();
    await waitUntil(
      'cap recorded',
      async () => (await orderView(shop.id, order.id))?.skipped.length === 1,
    );
    const view = await orderView(shop.id, order.id);
    expect(view.skipped[0].reason).toBe("The order has had its 1 messages (the store's maximum)");
    expect(templatesSentTo('+447400900004')).toEqual(['order_confirmation']);
  });

  it('hands off, through the recovery sweep, a delivery whose API process died before handing it off', async () => {
    const shop = await createStore();
    const order = wooOrder({ billing: { ...wooOrder().billing, phone: '+447400900005' } });
    const id = `${shop.id}:left-behind`;
    await h.app.store.wooDeliveries.saveMany([
      {
        _id: id,
        org_id: h.account.org_id,
        store_id: shop.id,
        order_id: String(order.id),
        topic: 'order.created',
        body: JSON.stringify(order),
        received_at: new Date(Date.now() - 5 * 60_000),
        handed_off_at: null,
        attempts: 0,
        last_error: null,
      },
    ]);
    const result = await h.worker.client.workflow.execute('recoveryWorkflow', {
      taskQueue: h.config.temporal.taskQueue,
      workflowId: `recovery-woo-${shop.id}`,
    });
    expect(result).toMatchObject({ wooDeliveriesHandedOff: 1 });
    expect((await h.app.store.wooDeliveries.get(id))?.handed_off_at).toBeInstanceOf(Date);
    await waitUntil('confirmation sent', async () => templatesSentTo('+447400900005').length === 1);
  });
});

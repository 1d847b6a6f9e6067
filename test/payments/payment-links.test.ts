import { randomUUID } from 'node:crypto';
import type { MessageDoc } from '../../store/documents';
import {
  createPaymentsHarness,
  RAZORPAY_KEYS,
  STRIPE_KEYS,
  type PaymentsHarness,
} from '../support/payments';
import { openRawStore, type RawStore } from '../support/raw-store';
import { waitUntil } from '../support/send-queue';

/**
 * Payment links on the real stack: API, workflow, dispatcher, the store, the Meta simulator,
 * stripe-mock and the Razorpay simulator, whose signed webhooks come back to the API.
 */
jest.setTimeout(120_000);

let h: PaymentsHarness;
let raw: RawStore;
let orgId: string;
let n = 0;

beforeAll(async () => {
  h = await createPaymentsHarness();
  raw = openRawStore(h.config);
  orgId = h.org.organization.id;
});

afterAll(async () => {
  await raw?.close();
  await h?.close();
});

type LinkView = {
  id: string;
  status: string;
  url: string | null;
  gateway_link_id: string | null;
  payment_id: string | null;
  paid_after_close: boolean;
  link_message_id: string | null;
  receipt_message_id: string | null;
  status_history: { status: string; detail: string | null }[];
};

const phone = () => `+9198765${String(43_000 + n++).padStart(5, '0')}`;

async function create(body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return h.call({
    method: 'POST',
    url: '/api/payment-links',
    headers,
    payload: {
      phone_number: phone(),
      amount: 49_900,
      currency: 'INR',
      description: 'Order #1042',
      ...body,
    },
  });
}

async function created(body: Record<string, unknown> = {}): Promise<LinkView> {
  const res = await create(body);
  expect(res.statusCode).toBe(201);
  const id = (res.json().data as LinkView).id;
  return waitFor(id, (l) => l.url !== null && l.link_message_id !== null);
}

async function view(id: string): Promise<LinkView> {
  return (await h.call({ method: 'GET', url: `/api/payment-links/${id}` })).json().data as LinkView;
}

async function waitFor(id: string, ok: (l: LinkView) => boolean): Promise<LinkView> {
  let last!: LinkView;
  await waitUntil(`payment link ${id}`, async () => ok((last = await view(id))), 60_000);
  return last;
}

/** The message as Meta received it, once the dispatcher has sent it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- Meta's message objects, read loosely
type SentBody = Record<string, any>;
async function sentBody(messageId: string): Promise<SentBody> {
  let msg: MessageDoc | null = null;
  await waitUntil(`message ${messageId} sent`, async () => {
    msg = await h.app.store.messages.get(orgId, messageId);
    return !!msg?.wamid;
  });
  return h.sim.log.find((e) => e.wamid === msg!.wamid)?.body as SentBody;
}

const eventsOf = async (type: string, linkId: string) =>
  (await h.app.store.events.list(orgId, { type })).filter((e) => e.data.id === linkId);

describe('integrations', () => {
  it('shows the keys masked with their mode, and keeps them sealed at rest', async () => {
    const res = await h.call({ method: 'GET', url: '/api/integrations/stripe' });
    expect(res.statusCode).toBe(200);
    expect(res.json().data).toMatchObject({
      gateway: 'stripe',
      mode: 'test',
      keys: {
        secret_key: 'sk_test_…p7dc',
        publishable_key: 'pk_test_…I7jx',
        webhook_secret: 'whsec_…waflow'.replace('waflow', 'flow'),
      },
    });
    expect(res.body).not.toContain('4eC39HqLyjWDarjtT1zdp7dc');
    const [row] = await raw.find('gateway_settings', { org_id: orgId, gateway: 'razorpay' });
    expect(JSON.stringify(row)).not.toContain('thisisasecretkey');
  });

  it('refuses malformed keys and mixed modes, naming the field', async () => {
    const bad = await h.call({
      method: 'PUT',
      url: '/api/integrations/stripe',
      payload: { secret_key: 'nope', publishable_key: 'pk_test_abc', webhook_secret: 'whsec_x' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toContain('secret_key');
    const mixed = await h.call({
      method: 'PUT',
      url: '/api/integrations/stripe',
      payload: {
        secret_key: 'sk_live_abc',
        publishable_key: 'pk_test_abc',
        webhook_secret: 'whsec_x',
      },
    });
    expect(mixed.statusCode).toBe(400);
    expect(mixed.json().message).toContain('publishable_key');
  });
});

describe('creating', () => {
  it.each([
    [{ amount: 499.5 }, 'amount'],
    [{ amount: 0 }, 'amount'],
    [{ amount: -100 }, 'amount'],
    [{ currency: 'XYZ' }, 'currency'],
    [{ currency: 'JPY', gateway: 'razorpay' }, 'currency'],
    [{ expires_in_minutes: 10 }, 'expires_in_minutes'],
    [{ expires_in_minutes: 49 * 60 }, 'expires_in_minutes'],
    [{ expires_in_minutes: 60, reminder_after_minutes: 60 }, 'reminder_after_minutes'],
    [{ phone_number: undefined }, 'contact_id'],
    [{ phone_number: '9876543210' }, 'phone_number'],
    [{ phone_number: '+9876543210' }, 'phone_number'],
    [{ phone_number: '9876543210', default_country: 'XX' }, 'default_country'],
  ])('refuses %j with a 400 naming %s, storing nothing', async (over, field) => {
    const before = await raw.count('payment_links');
    const res = await create(over);
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toContain(field);
    expect(await raw.count('payment_links')).toBe(before);
  });

  it("reads a national number in the request's default country", async () => {
    const link = await created({ phone_number: '098765 42999', default_country: 'IN' });
    expect(link).toMatchObject({ phone_number: '+919876542999' });
  });

  it('answers 404 for an unknown contact', async () => {
    const res = await create({ phone_number: undefined, contact_id: randomUUID() });
    expect(res.statusCode).toBe(404);
  });

  it('is idempotent on Idempotency-Key, and refuses the key for another request', async () => {
    const key = randomUUID();
    const body = { phone_number: phone() };
    const first = await create(body, { 'idempotency-key': key });
    const again = await create(body, { 'idempotency-key': key });
    expect(first.statusCode).toBe(201);
    expect(again.statusCode).toBe(201);
    const id = first.json().data.id as string;
    expect(again.json().data.id).toBe(id);
    expect(await raw.count('payment_links', { _id: id })).toBe(1);
    const other = await create({ ...body, amount: 100 }, { 'idempotency-key': key });
    expect(other.statusCode).toBe(409);
    const link = await waitFor(id, (l) => l.link_message_id !== null);
    // One workflow sent one link message.
    await sentBody(link.link_message_id!);
    const sends = await h.app.store.messages.history(
      orgId,
      (await view(id)) && (await h.app.store.paymentLinks.get(orgId, id))!.contact_id,
      { limit: 10 },
    );
    expect(sends.filter((m) => m.origin_id === id)).toHaveLength(1);
  });
});

describe('Razorpay', () => {
  it('creates the link at the gateway, sends it as a template outside the window, and a receipt once paid', async () => {
    const link = await created();
    expect(link.gateway_link_id).toMatch(/^plink_/);
    expect(link.url).toMatch(/^https:\/\/rzp\.io\/i\//);
    expect(h.razorpay.link(link.gateway_link_id!)).toMatchObject({
      amount: 49_900,
      currency: 'INR',
      reference_id: link.id,
      status: 'created',
    });
    const sent = await sentBody(link.link_message_id!);
    expect(sent.type).toBe('template');
    expect(sent.template.name).toBe('payment_link');
    expect(sent.template.components[0].parameters.map((p: { text: string }) => p.text)).toEqual([
      'there',
      '₹499.00',
      'Order #1042',
      link.url,
    ]);

    const { paymentId } = await h.razorpay.pay(link.gateway_link_id!);
    const paid = await waitFor(
      link.id,
      (l) => l.status === 'paid' && l.receipt_message_id !== null,
    );
    expect(paid).toMatchObject({ payment_id: paymentId, paid_after_close: false });
    const receipt = await sentBody(paid.receipt_message_id!);
    expect(receipt.template.name).toBe('payment_receipt');
    expect(receipt.template.components[0].parameters.at(-1).text).toBe(paymentId);
    expect(await eventsOf('payment_link.created', link.id)).toHaveLength(1);
    const [paidEvent] = await eventsOf('payment_link.paid', link.id);
    expect(paidEvent?.data).toMatchObject({
      amount: 49_900,
      currency: 'INR',
      payment_id: paymentId,
    });
  });

  it('stores a duplicated webhook once and acts on it once, whatever its unsigned event id header says', async () => {
    const link = await created();
    const { webhook } = await h.razorpay.pay(link.gateway_link_id!);
    expect(webhook.status).toBe(200);
    await waitFor(link.id, (l) => l.status === 'paid');
    const body = {
      entity: 'event',
      event: 'payment_link.paid',
      contains: ['payment_link'],
      payload: { payment_link: { entity: h.razorpay.link(link.gateway_link_id!) } },
      created_at: Math.floor(Date.now() / 1000),
    };
    for (const eventId of [webhook.event_id, `${webhook.event_id}x`, 'Eanother']) {
      const again = await h.postRazorpay(body, eventId);
      expect(again.statusCode).toBe(200);
    }
    await h.app.paymentEvents.idle();
    const stored = await raw.find('payment_events', { gateway_link_id: link.gateway_link_id });
    expect(stored.map((e) => e._id)).toEqual([
      `razorpay:${orgId}:payment_link.paid:${link.gateway_link_id}`,
    ]);
    expect(await eventsOf('payment_link.paid', link.id)).toHaveLength(1);
    expect((await view(link.id)).status_history.filter((s) => s.status === 'paid')).toHaveLength(1);
  });

  it('refuses a bad signature with 401, storing nothing', async () => {
    const before = await raw.count('payment_events');
    const res = await h.postRazorpay(
      { event: 'payment_link.paid', payload: {} },
      'Ebad',
      'wrong-secret',
    );
    expect(res.statusCode).toBe(401);
    const missing = await h.app.inject({
      method: 'POST',
      url: '/api/webhooks/razorpay',
      headers: { 'content-type': 'application/json' },
      payload: '{}',
    });
    expect(missing.statusCode).toBe(401);
    expect(await raw.count('payment_events')).toBe(before);
  });

  it('keeps the link payable after a failed attempt', async () => {
    const link = await created();
    await h.razorpay.fail(link.gateway_link_id!);
    await waitFor(link.id, (l) => l.status === 'failed');
    const { paymentId } = await h.razorpay.pay(link.gateway_link_id!);
    const paid = await waitFor(link.id, (l) => l.status === 'paid');
    expect(paid.payment_id).toBe(paymentId);
    expect(paid.status_history.map((s) => s.status)).toEqual(['created', 'failed', 'paid']);
    expect(await eventsOf('payment_link.failed', link.id)).toHaveLength(1);
  });

  it('cancels through the API: cancelled at the gateway, payment_link.expired; a later payment still counts, flagged', async () => {
    const link = await created();
    const res = await h.call({ method: 'POST', url: `/api/payment-links/${link.id}/cancel` });
    expect(res.statusCode).toBe(200);
    expect(res.json().data.status).toBe('cancelled');
    expect(h.razorpay.link(link.gateway_link_id!).status).toBe('cancelled');
    const [expired] = await eventsOf('payment_link.expired', link.id);
    expect(expired?.data).toMatchObject({ reason: 'cancelled' });
    const twice = await h.call({ method: 'POST', url: `/api/payment-links/${link.id}/cancel` });
    expect(twice.statusCode).toBe(409);

    // A payment that was under way when the link was cancelled: the gateway is the truth.
    const entity = { ...h.razorpay.link(link.gateway_link_id!), status: 'paid' };
    const late = await h.postRazorpay(
      {
        entity: 'event',
        event: 'payment_link.paid',
        contains: ['payment_link', 'payment'],
        payload: {
          payment_link: { entity },
          payment: { entity: { id: 'pay_LateOne0000001', entity: 'payment', status: 'captured' } },
        },
        created_at: Math.floor(Date.now() / 1000),
      },
      `E${randomUUID().slice(0, 13)}`,
    );
    expect(late.statusCode).toBe(200);
    const paid = await waitFor(
      link.id,
      (l) => l.status === 'paid' && l.receipt_message_id !== null,
    );
    expect(paid).toMatchObject({ payment_id: 'pay_LateOne0000001', paid_after_close: true });
    expect(paid.status_history.at(-1)?.detail).toContain('cancelled');
  });

  it('answers 200 for a link it does not know', async () => {
    const res = await h.postRazorpay(
      {
        entity: 'event',
        event: 'payment_link.paid',
        payload: {
          payment_link: { entity: { id: 'plink_Unknown0000001', reference_id: 'elsewhere' } },
        },
      },
      `E${randomUUID().slice(0, 13)}`,
    );
    expect(res.statusCode).toBe(200);
    await h.app.paymentEvents.idle();
  });
});

describe('Stripe', () => {
  const session = (linkId: string, gatewayLinkId: string | null, id = `evt_${randomUUID()}`) => ({
    id,
    object: 'event',
    type: 'checkout.session.completed',
    created: Math.floor(Date.now() / 1000),
    data: {
      object: {
        id: `cs_test_${randomUUID().replaceAll('-', '')}`,
        object: 'checkout.session',
        payment_link: gatewayLinkId,
        payment_intent: 'pi_3Paid0000000001',
        payment_status: 'paid',
        metadata: { waflow_payment_link_id: linkId },
      },
    },
  });

  it('creates a Stripe payment link for USD and ends paid on checkout.session.completed', async () => {
    const link = await created({ currency: 'USD', amount: 2_500, description: 'Workshop seat' });
    expect(link.gateway_link_id).toMatch(/^plink_/);
    expect(link.url).toMatch(/^https:\/\//);
    const res = await h.postStripe(session(link.id, link.gateway_link_id));
    expect(res.statusCode).toBe(200);
    const paid = await waitFor(link.id, (l) => l.status === 'paid');
    expect(paid.payment_id).toBe('pi_3Paid0000000001');
  });

  it('marks a failed attempt from payment_intent.payment_failed, then a payment wins', async () => {
    const link = await created({ currency: 'EUR', amount: 1_000 });
    const failed = await h.postStripe({
      id: `evt_${randomUUID()}`,
      object: 'event',
      type: 'payment_intent.payment_failed',
      data: {
        object: {
          id: 'pi_3Failed00000001',
          object: 'payment_intent',
          metadata: { waflow_payment_link_id: link.id },
          last_payment_error: { code: 'card_declined', message: 'Your card was declined.' },
        },
      },
    });
    expect(failed.statusCode).toBe(200);
    const f = await waitFor(link.id, (l) => l.status === 'failed');
    expect(f.status_history.at(-1)?.detail).toBe('Your card was declined.');
    await h.postStripe(session(link.id, link.gateway_link_id));
    await waitFor(link.id, (l) => l.status === 'paid');
  });

  it('refuses a bad or stale signature with 401, storing nothing', async () => {
    const before = await raw.count('payment_events');
    const wrong = await h.postStripe(session(randomUUID(), null), 'whsec_wrongwrongwrong');
    expect(wrong.statusCode).toBe(401);
    const payload = JSON.stringify(session(randomUUID(), null));
    const stale = await h.app.inject({
      method: 'POST',
      url: '/api/webhooks/stripe',
      headers: {
        'content-type': 'application/json',
        'stripe-signature': h.stripe.webhooks.generateTestHeaderString({
          payload,
          secret: 'whsec_test0secret0for0waflow',
          timestamp: Math.floor(Date.now() / 1000) - 3_600,
        }),
      },
      payload,
    });
    expect(stale.statusCode).toBe(401);
    expect(await raw.count('payment_events')).toBe(before);
  });

  it('acknowledges events it does not act on, and duplicates once', async () => {
    const ignored = await h.postStripe({
      id: `evt_${randomUUID()}`,
      type: 'customer.created',
      data: { object: {} },
    });
    expect(ignored.statusCode).toBe(200);
    expect(ignored.json().data).toEqual({ received: true, ignored: true });
    const unknown = session(randomUUID(), 'plink_NotOurs', `evt_${randomUUID()}`);
    expect((await h.postStripe(unknown)).statusCode).toBe(200);
    expect((await h.postStripe(unknown)).statusCode).toBe(200);
    await h.app.paymentEvents.idle();
    expect(await raw.count('payment_events', { _id: `stripe:${unknown.id}` })).toBe(1);
  });
});

describe('webhook URLs', () => {
  const SECRET = STRIPE_KEYS.webhook_secret;
  const OTHER_SECRET = 'whsec_another0organization';
  let other: string;
  beforeAll(async () => {
    other = (await h.app.store.organizations.create('Another shop'))._id;
    await h.app.store.gatewaySettings.put(
      other,
      'stripe',
      { ...STRIPE_KEYS, webhook_secret: OTHER_SECRET },
      'test',
    );
  });

  const event = (pad = '') => ({
    id: `evt_${randomUUID()}`,
    object: 'event',
    type: 'customer.created',
    created: Math.floor(Date.now() / 1000),
    data: { object: { id: 'cus_1', pad } },
  });
  const ownUrl = (gateway: string, org = orgId) => `/api/webhooks/${gateway}/${org}`;

  it("shows each gateway's URL for the organization in its settings", async () => {
    for (const gateway of ['stripe', 'razorpay']) {
      const res = await h.call({ method: 'GET', url: `/api/integrations/${gateway}` });
      expect(res.json().data.webhook_url).toBe(
        `${h.app.config.http.publicUrl}/api/webhooks/${gateway}/${orgId}`,
      );
    }
  });

  it("checks the organization's URL with its own secret only", async () => {
    const stripeEvent = session(`evt_${randomUUID()}`);
    const own = await h.postStripe(stripeEvent, SECRET, ownUrl('stripe'));
    expect(own.statusCode).toBe(200);
    await h.app.paymentEvents.idle();
    const [row] = await raw.find('payment_events', { _id: `stripe:${stripeEvent.id}` });
    expect(row?.org_id).toBe(orgId);

    // Another organization's valid signature is refused at this organization's URL...
    const crossed = session(`evt_${randomUUID()}`);
    const refused = await h.postStripe(crossed, OTHER_SECRET, ownUrl('stripe'));
    expect(refused.statusCode).toBe(401);
    expect(refused.json()).toEqual({
      status: 'error',
      message: 'Invalid webhook signature',
      code: 'unauthorized',
    });
    expect(await raw.count('payment_events', { _id: `stripe:${crossed.id}` })).toBe(0);
    // ... and taken at its own, for it.
    expect((await h.postStripe(crossed, OTHER_SECRET, ownUrl('stripe', other))).statusCode).toBe(
      200,
    );
    await h.app.paymentEvents.idle();
    const [theirs] = await raw.find('payment_events', { _id: `stripe:${crossed.id}` });
    expect(theirs?.org_id).toBe(other);

    const razorpay = await h.postRazorpay(
      { event: 'payment_link.paid', payload: {} },
      'Eown',
      RAZORPAY_KEYS.webhook_secret,
      ownUrl('razorpay', other),
    );
    expect(razorpay.statusCode).toBe(404);
    expect(razorpay.json().message).toBe(`Razorpay is not configured for organization '${other}'`);
    const unknown = await h.postStripe(event(), SECRET, ownUrl('stripe', randomUUID()));
    expect(unknown.statusCode).toBe(404);
  });

  it('keeps the shared URL working, limited per client address', async () => {
    const client = '203.0.113.7';
    const shared = (remoteAddress: string, signed = true) => {
      const payload = JSON.stringify(event());
      const signature = h.stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET });
      return h.app.inject({
        method: 'POST',
        url: '/api/webhooks/stripe',
        remoteAddress,
        headers: {
          'content-type': 'application/json',
          ...(signed ? { 'stripe-signature': signature } : {}),
        },
        payload,
      });
    };
    const first = await shared(client);
    expect(first.statusCode).toBe(200);
    expect(first.json().data).toEqual({ received: true, ignored: true });
    const limit = h.app.config.payments.sharedWebhookPerMinute;
    const codes: number[] = [];
    for (let i = 1; i <= limit; i++) codes.push((await shared(client, false)).statusCode);
    expect(codes.slice(0, -1).every((c) => c === 401)).toBe(true);
    const limited = await shared(client);
    expect(codes.at(-1)).toBe(429);
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.json()).toMatchObject({
      status: 'error',
      message: expect.stringMatching(/^Rate limit exceeded/),
      code: 'rate_limited',
    });
    // Another client, and the organization's own URL, are not held back by it.
    expect((await shared('203.0.113.8')).statusCode).toBe(200);
    const own = await h.app.inject({
      ...(await ownRequest(event())),
      remoteAddress: client,
    });
    expect(own.statusCode).toBe(200);
  });

  it('refuses a body over the webhook limit with 413, storing nothing', async () => {
    const before = await raw.count('payment_events');
    const big = event('x'.repeat(h.app.config.http.webhookBodyLimit));
    for (const url of [ownUrl('stripe'), '/api/webhooks/stripe']) {
      const res = await h.postStripe(big, SECRET, url);
      expect(res.statusCode).toBe(413);
      expect(res.json()).toEqual({
        status: 'error',
        message: 'Request body is too large: the limit is 1 MB',
        code: 'payload_too_large',
      });
    }
    for (const url of [ownUrl('razorpay'), '/api/webhooks/razorpay']) {
      const res = await h.postRazorpay(big, 'Ebig', RAZORPAY_KEYS.webhook_secret, url);
      expect(res.statusCode).toBe(413);
    }
    await h.app.paymentEvents.idle();
    expect(await raw.count('payment_events')).toBe(before);
  });

  /** A Stripe event for a link Waflow does not know: stored, acted on by nobody. */
  function session(id: string) {
    return {
      id,
      object: 'event',
      type: 'checkout.session.completed',
      created: Math.floor(Date.now() / 1000),
      data: {
        object: {
          id: `cs_test_${randomUUID().replaceAll('-', '')}`,
          object: 'checkout.session',
          payment_link: 'plink_NotOurs',
          payment_intent: 'pi_3Paid0000000001',
          payment_status: 'paid',
          metadata: { waflow_payment_link_id: randomUUID() },
        },
      },
    };
  }

  async function ownRequest(body: object) {
    const payload = JSON.stringify(body);
    return {
      method: 'POST' as const,
      url: ownUrl('stripe'),
      headers: {
        'content-type': 'application/json',
        'stripe-signature': h.stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET }),
      },
      payload,
    };
  }
});

describe('listing', () => {
  it('filters by status and contact', async () => {
    const res = await h.call({ method: 'GET', url: '/api/payment-links?status=paid&limit=100' });
    expect(res.statusCode).toBe(200);
    const links = res.json().data.payment_links as LinkView[];
    expect(links.length).toBeGreaterThan(0);
    expect(links.every((l) => l.status === 'paid')).toBe(true);
    const one = links[0]! as LinkView & { contact_id: string };
    const byContact = await h.call({
      method: 'GET',
      url: `/api/payment-links?contact_id=${one.contact_id}`,
    });
    expect(
      (byContact.json().data.payment_links as { contact_id: string }[]).every(
        (l) => l.contact_id === one.contact_id,
      ),
    ).toBe(true);
    expect(
      (await h.call({ method: 'GET', url: `/api/payment-links/${randomUUID()}` })).statusCode,
    ).toBe(404);
  });
});

import { randomUUID } from 'node:crypto';
import type { MessageDoc } from '../../store/documents';
import { createPaymentsHarness, type PaymentsHarness } from '../support/payments';
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

  it('stores a duplicated webhook once and acts on it once', async () => {
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
    const again = await h.postRazorpay(body, webhook.event_id);
    expect(again.statusCode).toBe(200);
    await h.app.paymentEvents.idle();
    expect(await raw.count('payment_events', { _id: `razorpay:${webhook.event_id}` })).toBe(1);
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

import { createHmac } from 'node:crypto';
import { importContacts } from '../support/campaigns';
import { createMessagingHarness, type MessagingHarness } from '../support/messaging';
import { waitUntil } from '../support/send-queue';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

/**
 * Sequences through the API on the real stack: the API records subscriptions and starts their
 * workflows, the worker runs them, the dispatcher sends to the simulator, and the simulator's
 * inbound messages drive keywords and STOP. Days-long delays are in test/workflow/sequence.
 */
jest.setTimeout(180_000);

let h: MessagingHarness;
let receiver: WebhookReceiver;
let secret: string;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  h = await createMessagingHarness({
    env: {
      SEND_POLL_MS: '100',
      WEBHOOK_ALLOW_HTTP: 'true',
      WEBHOOK_ALLOWED_NETWORKS: '127.0.0.1/32',
      WEBHOOK_ENDPOINT_CACHE_MS: '0',
    },
  });
  const endpoint = await h.call({
    method: 'POST',
    url: '/api/webhook-endpoints',
    payload: { name: 'Sequences', url: `${receiver.url}/hooks`, events: ['sequence.completed'] },
  });
  expect(endpoint.statusCode).toBe(201);
  secret = endpoint.json().data.secret;
  const sync = await h.call({ method: 'POST', url: '/api/templates/sync', payload: {} });
  expect(sync.statusCode).toBe(200);
});

afterAll(async () => {
  await h?.close();
  await receiver?.close();
});

const order = {
  type: 'template',
  template: {
    name: 'order_confirmation',
    language: 'en',
    components: [
      {
        type: 'body',
        parameters: [
          { type: 'text', text: '{{name | there}}' },
          { type: 'text', text: 'ORD-{{custom_fields.order | 1}}' },
        ],
      },
    ],
  },
};

const body = (over: Record<string, unknown> = {}) => ({
  name: 'Welcome',
  steps: [
    { delay: '0m', type: 'anytime', message: order },
    { delay: '3d', type: '24h', message: { type: 'text', text: 'How is it going, {{name}}?' } },
  ],
  ...over,
});

async function create(over: Record<string, unknown> = {}) {
  const res = await h.call({ method: 'POST', url: '/api/sequences', payload: body(over) });
  if (res.statusCode !== 201) throw new Error(`create: ${res.statusCode} ${res.body}`);
  return res.json().data as { id: string; version: number };
}

const subscribers = async (id: string, query = '') =>
  (await h.call({ method: 'GET', url: `/api/sequences/${id}/subscribers${query}` })).json().data
    .subscribers as Record<string, unknown>[];

const acceptedTo = (phone: string) =>
  (h.sim.sends({ full: true }).sends ?? []).filter((s) => `+${s.recipient}` === phone).length;

async function contactId(phone: string) {
  return (await h.app.store.contacts.findByPhone(h.org.organization.id, phone))!._id;
}

describe('validation', () => {
  it.each([
    [
      'a malformed delay',
      { steps: [{ delay: '3 weeks', type: 'anytime', message: order }] },
      'delay',
    ],
    [
      'free-form text in an anytime step',
      { steps: [{ delay: '0m', type: 'anytime', message: { type: 'text', text: 'hi' } }] },
      'anytime steps send a template',
    ],
    [
      'a fallback on an anytime step',
      { steps: [{ delay: '0m', type: 'anytime', message: order, fallback: order }] },
      'fallback',
    ],
    [
      'an unknown timezone',
      { schedule: { timezone: 'Mars/Base', days: ['mon'], start: '09:00', end: '17:00' } },
      'timezone',
    ],
    [
      'hours that end before they start',
      { schedule: { timezone: 'UTC', days: ['mon'], start: '18:00', end: '09:00' } },
      'end must be after start',
    ],
    ['an unknown re-entry rule', { reentry: 'sometimes' }, 'reentry'],
    [
      'an unknown placeholder',
      { steps: [{ delay: '1h', type: '24h', message: { type: 'text', text: 'Hi {{nick}}' } }] },
      'unknown placeholder {{nick}}',
    ],
    ['no steps', { steps: [] }, 'steps'],
  ])('refuses %s with a 400 naming it', async (_what, over, named) => {
    const res = await h.call({ method: 'POST', url: '/api/sequences', payload: body(over) });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ status: 'error' });
    expect(res.json().message).toContain(named);
  });

  const templateStep = (name: string, language: string) => ({
    steps: [
      { delay: '0m', type: 'anytime', message: { type: 'template', template: { name, language } } },
    ],
  });

  it('refuses an unknown template with a 404 naming its step', async () => {
    const res = await h.call({
      method: 'POST',
      url: '/api/sequences',
      payload: body(templateStep('nope', 'en')),
    });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({
      message:
        "Template 'nope' not found or not approved: the WhatsApp account has none in en (steps.0.message)",
      status: 'error',
      code: 'template_not_found',
    });
  });

  it("stores a bare language as the account's one approved variant of it", async () => {
    // The simulator's hello_world exists in en_US only.
    const { id } = await create(templateStep('hello_world', 'en'));
    const res = await h.call({ method: 'GET', url: `/api/sequences/${id}` });
    expect(res.json().data.steps[0].message.template).toMatchObject({
      name: 'hello_world',
      language: 'en_US',
    });
  });

  it('answers 404 for a sequence of nobody, and 400 for an empty subscribe', async () => {
    for (const [method, url] of [
      ['GET', '/api/sequences/nope'],
      ['PUT', '/api/sequences/nope'],
      ['DELETE', '/api/sequences/nope'],
      ['GET', '/api/sequences/nope/subscribers'],
      ['DELETE', '/api/sequences/nope/subscribers/x'],
    ] as const) {
      const res = await h.call({ method, url, payload: method === 'PUT' ? body() : undefined });
      expect(res.statusCode).toBe(404);
    }
    const noAction = await h.call({
      method: 'POST',
      url: '/api/sequences',
      payload: body({
        steps: [
          { delay: '1h', type: '24h', message: { type: 'text', text: 'hi', action_id: 'nope' } },
        ],
      }),
    });
    expect(noAction.statusCode).toBe(404);
    expect(noAction.json().message).toBe("steps.0.message.action_id: action 'nope' not found");
    const seq = await create();
    const res = await h.call({
      method: 'POST',
      url: `/api/sequences/${seq.id}/subscribers`,
      payload: {},
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toContain('contact_ids');
  });
});

it('documents every sequence route in the OpenAPI document', async () => {
  const res = await h.app.inject({ method: 'GET', url: '/api/openapi.json' });
  expect(res.statusCode).toBe(200);
  const paths = Object.keys(res.json<{ paths: Record<string, unknown> }>().paths);
  expect(paths).toEqual(
    expect.arrayContaining([
      '/api/sequences',
      '/api/sequences/{id}',
      '/api/sequences/{id}/subscribers',
      '/api/sequences/{id}/subscribers/{contactId}',
    ]),
  );
});

it('creates, lists, edits (a new version) and deletes a sequence', async () => {
  const seq = await create({
    name: 'Edit me',
    reentry: 'after_completion',
    exit: { tags: ['purchased'], on_reply: true },
    schedule: { timezone: 'Asia/Kolkata', days: ['mon', 'tue'], start: '09:00', end: '18:00' },
  });
  const got = await h.call({ method: 'GET', url: `/api/sequences/${seq.id}` });
  expect(got.json().data).toMatchObject({
    name: 'Edit me',
    version: 1,
    reentry: 'after_completion',
    exit: { tags: ['purchased'], on_reply: true },
    schedule: { timezone: 'Asia/Kolkata', days: ['mon', 'tue'] },
    subscribers: { pending: 0, active: 0, completed: 0, exited: 0 },
  });
  expect(got.json().data.steps[1]).toMatchObject({ delay: '3d', after: 'previous', type: '24h' });
  const put = await h.call({
    method: 'PUT',
    url: `/api/sequences/${seq.id}`,
    payload: body({ name: 'Edited' }),
  });
  expect(put.json().data).toMatchObject({ name: 'Edited', version: 2, reentry: 'never' });
  const list = await h.call({ method: 'GET', url: '/api/sequences?limit=50' });
  expect(list.json().data.sequences.map((s: { id: string }) => s.id)).toContain(seq.id);
  const del = await h.call({ method: 'DELETE', url: `/api/sequences/${seq.id}` });
  expect(del.json().data).toEqual({ id: seq.id, deleted: true, ended: 0 });
  expect((await h.call({ method: 'GET', url: `/api/sequences/${seq.id}` })).statusCode).toBe(404);
});

it('subscribes in bulk with a result per row, sends the first step, and unsubscribes', async () => {
  const seq = await create();
  const phones = await importContacts(h, 3, 'bulk-seq', '300');
  const ids = await Promise.all(phones.map(contactId));
  await h.app.store.contacts.update(h.org.organization.id, ids[2]!, { opted_in: false });
  // Given as a national number, read in the request's default country.
  const national = `0${phones[1]!.slice(3)}`;
  const res = await h.call({
    method: 'POST',
    url: `/api/sequences/${seq.id}/subscribers`,
    payload: {
      contact_ids: [ids[0], ids[2], 'unknown'],
      phone_numbers: [national, 'abc', '+14155559999', '+15550009999'],
      default_country: 'GB',
    },
  });
  expect(res.statusCode).toBe(200);
  expect(res.json().data).toEqual({
    subscribed: 2,
    results: [
      { contact_id: ids[0], phone_number: null, user_id: null, outcome: 'subscribed' },
      { contact_id: ids[2], phone_number: null, user_id: null, outcome: 'opted_out' },
      { contact_id: 'unknown', phone_number: null, user_id: null, outcome: 'contact_not_found' },
      { contact_id: ids[1], phone_number: national, user_id: null, outcome: 'subscribed' },
      { contact_id: null, phone_number: 'abc', user_id: null, outcome: 'invalid_phone_number' },
      {
        contact_id: null,
        phone_number: '+14155559999',
        user_id: null,
        outcome: 'contact_not_found',
      },
      {
        contact_id: null,
        phone_number: '+15550009999',
        user_id: null,
        outcome: 'invalid_phone_number',
      },
    ],
  });

  await waitUntil(
    'first steps sent',
    async () => acceptedTo(phones[0]!) === 1 && acceptedTo(phones[1]!) === 1,
  );
  await waitUntil(
    'both wait for step 2',
    async () =>
      (await subscribers(seq.id, '?state=active')).every((s) => s.current_step === 1) &&
      (await subscribers(seq.id, '?state=active')).length === 2,
  );
  const [first] = (await subscribers(seq.id)).filter((s) => s.contact_id === ids[0]);
  expect(first).toMatchObject({
    state: 'active',
    run: 1,
    version: 1,
    current_step: 1,
    source: 'api',
  });
  const due =
    Date.parse(first!.next_send_at as string) - Date.parse(first!.subscribed_at as string);
  expect(Math.round(due / 86_400_000)).toBe(3);
  expect((first!.steps as Record<string, unknown>[])[0]).toMatchObject({
    step: 0,
    outcome: 'queued',
  });

  const again = await h.call({
    method: 'POST',
    url: `/api/sequences/${seq.id}/subscribers`,
    payload: { contact_ids: [ids[0]] },
  });
  expect(again.json().data.results[0].outcome).toBe('already_subscribed');

  const url = `/api/sequences/${seq.id}/subscribers/${ids[0]}`;
  const del = await h.call({ method: 'DELETE', url });
  expect(del.statusCode).toBe(200);
  expect(del.json().data).toMatchObject({ state: 'exited', exit_reason: 'unsubscribed' });
  expect((await h.call({ method: 'DELETE', url })).statusCode).toBe(409);
  expect(
    (await h.call({ method: 'DELETE', url: `/api/sequences/${seq.id}/subscribers/${ids[2]}` }))
      .statusCode,
  ).toBe(404);
  const view = await h.call({ method: 'GET', url: `/api/sequences/${seq.id}` });
  expect(view.json().data.subscribers).toMatchObject({ active: 1, exited: 1 });
});

it('subscribes a contact known only by user id and sends its step through recipient', async () => {
  const seq = await create({ steps: [{ delay: '0m', type: 'anytime', message: order }] });
  const wrote = await h.sim.inbound({
    phone_number_id: h.account.phone_number_id,
    username: 'seq.only',
    name: 'Uma',
    text: 'hello',
  });
  await h.settle();
  const contact = (await h.app.store.contacts.findByUserId(h.org.organization.id, wrote.user_id))!;
  expect(contact.phone_number).toBeNull();

  const res = await h.call({
    method: 'POST',
    url: `/api/sequences/${seq.id}/subscribers`,
    payload: { user_ids: [wrote.user_id, 'US.404'] },
  });
  expect(res.statusCode).toBe(200);
  expect(res.json().data).toEqual({
    subscribed: 1,
    results: [
      {
        contact_id: contact._id,
        phone_number: null,
        user_id: wrote.user_id,
        outcome: 'subscribed',
      },
      { contact_id: null, phone_number: null, user_id: 'US.404', outcome: 'contact_not_found' },
    ],
  });

  const sends = () =>
    h.sim.log.filter(
      (e) =>
        e.path.endsWith('/messages') &&
        (e.body as { recipient?: string }).recipient === wrote.user_id,
    );
  await waitUntil('its step is sent', async () => sends().length === 1);
  const [send] = sends();
  expect(send!.body).toMatchObject({ type: 'template', template: { name: 'order_confirmation' } });
  expect((send!.body as { to?: string }).to).toBeUndefined();
  await waitUntil(
    'its run completes',
    async () => (await subscribers(seq.id, '?state=completed')).length === 1,
  );
  const [subscriber] = await subscribers(seq.id);
  expect(subscriber).toMatchObject({ contact_id: contact._id, phone_number: null });
});

it('a keyword from a customer subscribes them; STOP opts them out and ends it', async () => {
  const seq = await create({ keywords: ['WELCOME'] });
  const phone = '+15553400001';
  await h.sim.inbound({
    phone_number_id: h.account.phone_number_id,
    from: phone.slice(1),
    name: 'Ana',
    type: 'text',
    text: 'welcome',
  });
  await h.settle();
  await waitUntil('keyword step sent', async () => acceptedTo(phone) === 1);
  const id = await contactId(phone);
  await waitUntil('waiting for step 2', async () =>
    (await subscribers(seq.id)).some((s) => s.contact_id === id && s.current_step === 1),
  );
  expect((await subscribers(seq.id))[0]).toMatchObject({ source: 'keyword', state: 'active' });

  await h.sim.inbound({
    phone_number_id: h.account.phone_number_id,
    from: phone.slice(1),
    type: 'text',
    text: 'STOP',
  });
  await h.settle();
  expect((await subscribers(seq.id))[0]).toMatchObject({
    state: 'exited',
    exit_reason: 'opted_out',
  });
  expect((await h.app.store.contacts.get(h.org.organization.id, id))?.opted_in).toBe(false);
  // The STOP message itself is kept like any other.
  const history = await h.app.store.messages.history(h.org.organization.id, id, { limit: 10 });
  expect(history.filter((m) => m.direction === 'inbound')).toHaveLength(2);
});

it('fires sequence.completed when a run ends', async () => {
  const seq = await create({ steps: [{ delay: '0m', type: 'anytime', message: order }] });
  const [phone] = await importContacts(h, 1, 'complete-seq', '350');
  const res = await h.call({
    method: 'POST',
    url: `/api/sequences/${seq.id}/subscribers`,
    payload: { phone_numbers: [phone] },
  });
  expect(res.json().data.subscribed).toBe(1);
  await waitUntil('completed', async () =>
    (await subscribers(seq.id)).some((s) => s.state === 'completed'),
  );
  const contact = await contactId(phone!);
  await waitUntil('sequence.completed delivered', async () =>
    receiver.received.some((r) => r.body.includes(seq.id)),
  );
  const hook = receiver.received.find((r) => r.body.includes(seq.id))!;
  expect(hook.headers['x-webhook-signature']).toBe(
    createHmac('sha256', secret).update(hook.body).digest('hex'),
  );
  const payload = JSON.parse(hook.body) as { event: string; data: Record<string, unknown> };
  expect(payload.event).toBe('sequence.completed');
  expect(payload.data).toEqual({
    sequence_id: seq.id,
    contact_id: contact,
    phone_number: phone,
    run: 1,
    version: 1,
    steps: 1,
    sent: 1,
    skipped: 0,
  });
  await waitUntil('sent', async () => acceptedTo(phone!) === 1);
});

import { createHmac } from 'node:crypto';
import { WEBHOOK_EVENT_TYPES } from '../../webhooks/event-types';
import { createMessagingHarness, type MessagingHarness } from '../support/messaging';
import {
  startWebhookReceiver,
  type ReceivedWebhook,
  type WebhookReceiver,
} from '../support/webhook-receiver';

/**
 * The event types some code path records today. An issue that adds the path of another type
 * (campaigns, payment links, sequences) moves it from NOT_EMITTED_YET to here and drives it
 * below.
 */
const EMITTED = [
  'contact.created',
  'contact.updated',
  'transfer.created',
  'message.incoming',
  'message.sent',
  'message.delivered',
  'message.read',
  'message.failed',
] as const;

/**
 * Emitted, and checked, where their cause is: the endpoint circuit (webhook-circuit tests),
 * sequences (test/sequences/api.test.ts), automations (test/automations,
 * test/workflow/automation.test.ts).
 */
const EMITTED_ELSEWHERE = [
  'webhook_endpoint.disabled',
  'sequence.completed',
  'automation.completed',
  'automation.failed',
  'automation.event',
] as const;

const NOT_EMITTED_YET = [
  'campaign.completed',
  'payment_link.created',
  'payment_link.paid',
  'payment_link.failed',
  'payment_link.expired',
] as const;

/** The data fields of each payload in the reference (Webhook event types reference). */
const REFERENCE_FIELDS: Partial<Record<(typeof EMITTED)[number], string[]>> = {
  'message.incoming': [
    'message_id',
    'from',
    'contact_id',
    'contact_name',
    'type',
    'text',
    'whatsapp_account_id',
  ],
  'message.sent': ['message_id', 'to', 'type', 'status'],
  'message.failed': ['message_id', 'to', 'error_code', 'error_message'],
  'contact.created': ['id', 'phone_number', 'name', 'source'],
  'transfer.created': ['contact_id', 'from_agent_id', 'to_agent_id', 'to_team_id', 'notes'],
};

interface Payload {
  event: string;
  timestamp: string;
  data: Record<string, unknown>;
}

let h: MessagingHarness;
let receiver: WebhookReceiver;
let secret: string;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  h = await createMessagingHarness({
    env: {
      WEBHOOK_ALLOW_HTTP: 'true',
      WEBHOOK_ALLOWED_NETWORKS: '127.0.0.1/32',
      WEBHOOK_ENDPOINT_CACHE_MS: '0',
    },
  });
  const res = await h.call({
    method: 'POST',
    url: '/api/webhook-endpoints',
    payload: { name: 'Everything', url: `${receiver.url}/hooks`, events: ['*'] },
  });
  expect(res.statusCode).toBe(201);
  secret = res.json().data.secret;
});
afterAll(async () => {
  await h?.close();
  await receiver?.close();
});

/** Through the simulator's control API, as a test in another process would. */
async function control(path: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${h.sim.url}/_sim/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

const payloadOf = (hook: ReceivedWebhook) => JSON.parse(hook.body) as Payload;

/** Waits until the receiver has a webhook of `type` whose data passes `match`. */
async function received(
  type: string,
  match: (data: Record<string, unknown>) => boolean,
  timeoutMs = 30_000,
): Promise<{ hook: ReceivedWebhook; payload: Payload }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const hook of receiver.received) {
      const payload = payloadOf(hook);
      if (payload.event === type && match(payload.data)) return { hook, payload };
    }
    if (Date.now() > deadline) {
      const got = receiver.received.map((r) => payloadOf(r).event).join(', ');
      throw new Error(`no ${type} webhook arrived; got: ${got || 'nothing'}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function expectReferenceShape(type: (typeof EMITTED)[number], hook: ReceivedWebhook) {
  const payload = payloadOf(hook);
  expect(Object.keys(payload).sort()).toEqual(['data', 'event', 'timestamp']);
  expect(payload.event).toBe(type);
  expect(new Date(payload.timestamp).toISOString()).toBe(payload.timestamp);
  expect(hook.headers['x-webhook-event']).toBe(type);
  expect(hook.headers['x-webhook-signature']).toBe(
    createHmac('sha256', secret).update(hook.body).digest('hex'),
  );
  for (const field of REFERENCE_FIELDS[type] ?? []) expect(payload.data).toHaveProperty(field);
}

const customerA = '+14155552001';
const customerB = '+14155552002';

it('delivers every event type whose code path exists, in the reference shape', async () => {
  // Contacts API: contact.created, contact.updated; transfer.created.
  const created = await h.call({
    method: 'POST',
    url: '/api/contacts',
    payload: { phone_number: customerA, name: 'Ana Lima' },
  });
  expect(created.statusCode).toBe(201);
  const contactId = created.json().data.id as string;
  const updated = await h.call({
    method: 'PUT',
    url: `/api/contacts/${contactId}`,
    payload: { name: 'Ana L.' },
  });
  expect(updated.statusCode).toBe(200);
  const transfer = await h.call({
    method: 'POST',
    url: `/api/contacts/${contactId}/transfer`,
    payload: {
      to_agent_id: 'agent-7',
      to_team_id: 'team-2',
      notes: 'Customer asking about refund',
    },
  });
  expect(transfer.statusCode).toBe(201);

  // The customer writes (message.incoming, recorded by the API's inbox)...
  const { wamid: incomingWamid } = await control('inbound', {
    phone_number_id: h.account.phone_number_id,
    from: customerA,
    name: 'Ana',
    type: 'text',
    text: 'Hello, I need help',
  });
  await h.settle();

  // ...so a free-form reply may go: message.sent (worker), delivered and read (API).
  const reply = await h.call({
    method: 'POST',
    url: '/api/messages/send',
    payload: { to: customerA, type: 'text', text: 'Happy to help!' },
  });
  expect(reply.statusCode).toBe(200);
  const replyWamid = reply.json().data.message_id as string;

  // Meta refuses a send outright: message.failed, recorded by the worker.
  await control('fail-next', {
    count: 1,
    httpStatus: 400,
    code: 131026,
    message: '(#131026) Message Undeliverable',
  });
  const refused = await h.call({
    method: 'POST',
    url: '/api/messages/send',
    payload: { to: customerA, type: 'text', text: 'Are you there?' },
  });
  expect(refused.statusCode).toBe(400);

  const hooks = {
    'contact.created': await received('contact.created', (d) => d.id === contactId),
    'contact.updated': await received(
      'contact.updated',
      (d) => d.id === contactId && d.name === 'Ana L.',
    ),
    'transfer.created': await received('transfer.created', (d) => d.contact_id === contactId),
    'message.incoming': await received('message.incoming', (d) => d.message_id === incomingWamid),
    'message.sent': await received('message.sent', (d) => d.message_id === replyWamid),
    'message.delivered': await received('message.delivered', (d) => d.message_id === replyWamid),
    'message.read': await received('message.read', (d) => d.message_id === replyWamid),
    'message.failed': await received('message.failed', (d) => d.error_code === 131026),
  };
  for (const type of EMITTED) expectReferenceShape(type, hooks[type].hook);

  expect(hooks['contact.created'].payload.data).toMatchObject({
    id: contactId,
    phone_number: customerA,
    name: 'Ana Lima',
    source: 'api',
  });
  expect(hooks['contact.updated'].payload.data).toMatchObject({
    id: contactId,
    phone_number: customerA,
    name: 'Ana L.',
  });
  expect(hooks['transfer.created'].payload.data).toMatchObject({
    contact_id: contactId,
    from_agent_id: null,
    to_agent_id: 'agent-7',
    to_team_id: 'team-2',
    notes: 'Customer asking about refund',
  });
  expect(hooks['message.incoming'].payload.data).toMatchObject({
    message_id: incomingWamid,
    from: customerA,
    contact_id: contactId,
    contact_name: 'Ana L.',
    type: 'text',
    text: 'Hello, I need help',
    whatsapp_account_id: h.account._id,
  });
  for (const status of ['sent', 'delivered', 'read'] as const) {
    expect(hooks[`message.${status}`].payload.data).toMatchObject({
      message_id: replyWamid,
      wamid: replyWamid,
      id: reply.json().data.id,
      to: customerA,
      type: 'text',
      status,
    });
  }
  // Refused before Meta gave it a wamid: message_id, what receivers deduplicate by, is
  // Waflow's own id, the one the send answered with.
  const failedId = hooks['message.failed'].payload.data.id as string;
  expect(await h.app.store.messages.get(h.org.organization.id, failedId)).toMatchObject({
    status: 'failed',
    wamid: null,
  });
  expect(hooks['message.failed'].payload.data).toMatchObject({
    message_id: failedId,
    wamid: null,
    status: 'failed',
    to: customerA,
    error_code: 131026,
    error_message: 'Recipient not on WhatsApp',
  });

  // Exactly one delivery per event, whichever process recorded it.
  const perEvent = new Map<string, number>();
  for (const r of receiver.received) {
    const id = String(r.headers['x-webhook-id']);
    perEvent.set(id, (perEvent.get(id) ?? 0) + 1);
  }
  expect([...perEvent.values()].every((n) => n === 1)).toBe(true);
});

it('delivers message.failed from a failed status webhook with the wamid (reference example)', async () => {
  await control('inbound', {
    phone_number_id: h.account.phone_number_id,
    from: customerB,
    name: 'Bo',
    type: 'text',
    text: 'Hi',
  });
  await h.settle();
  // Meta's window has closed while Waflow still thinks it open: Meta accepts, then fails it.
  await control('clock', { advanceMs: 25 * 60 * 60_000 });
  const res = await h.call({
    method: 'POST',
    url: '/api/messages/send',
    payload: { to: customerB, type: 'text', text: 'Still there?' },
  });
  expect(res.statusCode).toBe(200);
  const wamid = res.json().data.message_id as string;

  const { hook, payload } = await received('message.failed', (d) => d.message_id === wamid);
  expectReferenceShape('message.failed', hook);
  expect(payload.data).toMatchObject({
    message_id: wamid,
    to: customerB,
    error_code: 131047,
    error_message: 'Re-engagement message',
  });
});

it('lets endpoints subscribe to the event types that no code path records yet', async () => {
  expect([...WEBHOOK_EVENT_TYPES].sort()).toEqual(
    [...EMITTED, ...EMITTED_ELSEWHERE, ...NOT_EMITTED_YET].sort(),
  );
  const res = await h.call({
    method: 'POST',
    url: '/api/webhook-endpoints',
    payload: { name: 'Later', url: `${receiver.url}/later`, events: [...NOT_EMITTED_YET] },
  });
  expect(res.statusCode).toBe(201);
  expect(res.json().data.events).toEqual([...NOT_EMITTED_YET]);
});

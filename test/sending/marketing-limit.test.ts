import { WorkflowNotFoundError } from '@temporalio/client';
import { createMessagingHarness, type MessagingHarness } from '../support/messaging';
import {
  acceptedPerPhone,
  campaignBody,
  createCampaign,
  importContacts,
} from '../support/campaigns';
import { orderConfirmation, waitUntil } from '../support/send-queue';

/**
 * Meta's per-user marketing cap (131049), its marketing experiment (130472) and the Marketing
 * Messages API on the real stack: API, workflows, dispatcher, store, and the simulator injecting
 * the errors. The deferral lasts seconds here (META_MARKETING_LIMIT_RETRY_HOURS), so the resend
 * is seen through the real retry workflow; the day-long timer is skipped in
 * test/workflow/message-retry.test.ts.
 */
jest.setTimeout(180_000);

const RETRY_HOURS = 0.002; // 7.2 s

let h: MessagingHarness;

beforeAll(async () => {
  h = await createMessagingHarness({
    env: { SEND_POLL_MS: '100', META_MARKETING_LIMIT_RETRY_HOURS: String(RETRY_HOURS) },
  });
  const sync = await h.call({ method: 'POST', url: '/api/templates/sync', payload: {} });
  expect(sync.statusCode).toBe(200);
  // Onboarded to the Marketing Messages API from the start: the dispatcher caches accounts.
  h.sim.registerNumber({ phoneNumberId: h.account.phone_number_id, marketingMessages: true });
  await h.app.store.accounts.update(h.account.org_id, h.account._id, { marketingMessages: true });
});

afterAll(() => h?.close());

/** Through the simulator's control API, as the README shows it. */
async function inject(body: Record<string, unknown>) {
  const res = await fetch(`${h.sim.url}/_sim/fail-next`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
}

const sendTemplate = (to: string, template: Record<string, unknown> = orderConfirmation) =>
  h.call({
    method: 'POST',
    url: '/api/messages/send',
    payload: { to, type: 'template', template },
  });

interface Recipient {
  phone_number: string;
  state: string;
  wamid: string | null;
  error_code: number | null;
  deferred_until: string | null;
}

async function recipients(campaignId: string): Promise<Recipient[]> {
  const res = await h.call({ method: 'GET', url: `/api/campaigns/${campaignId}/recipients` });
  return res.json().data.recipients as Recipient[];
}

async function counts(campaignId: string): Promise<Record<string, number>> {
  const res = await h.call({ method: 'GET', url: `/api/campaigns/${campaignId}` });
  return res.json<{ data: { counts: Record<string, number> } }>().data.counts;
}

interface MessageItem {
  id: string;
  message_id: string | null;
  status: string;
  deferred_until: string | null;
  error: { code: number; message: string } | null;
  status_history: { status: string }[];
}

async function messageOf(contactId: string, id: string): Promise<MessageItem | undefined> {
  const res = await h.call({ method: 'GET', url: `/api/messages?contact_id=${contactId}` });
  return (res.json().data.messages as MessageItem[]).find((m) => m.id === id);
}

const failedEvents = async () =>
  (await h.app.store.events.list(h.account.org_id, { type: 'message.failed' })).map(
    (e) => e.data.to,
  );

it('shows a campaign recipient refused with 131049 as deferred, in the list and the counts, then sends it', async () => {
  const phones = await importContacts(h, 3, 'capped', '301');
  const capped = phones[1]!;
  await inject({ code: 131049, recipient: capped });
  const campaign = await createCampaign(h, campaignBody('capped'));

  await waitUntil('the capped recipient is deferred', async () =>
    (await recipients(campaign.id)).some(
      (r) => r.phone_number === capped && r.state === 'deferred',
    ),
  );
  const deferred = (await recipients(campaign.id)).find((r) => r.phone_number === capped)!;
  expect(deferred).toMatchObject({ error_code: 131049, wamid: null });
  expect(Date.parse(deferred.deferred_until!)).toBeGreaterThan(Date.now());
  expect(await counts(campaign.id)).toMatchObject({ total: 3, deferred: 1 });

  await waitUntil('the deferred recipient is sent', async () => {
    const r = (await recipients(campaign.id)).find((x) => x.phone_number === capped)!;
    return ['sent', 'delivered', 'read'].includes(r.state);
  });
  expect(acceptedPerPhone(h, phones).get(capped.replace('+', ''))).toBe(1);
  expect((await counts(campaign.id)).deferred).toBe(0);
  expect(await failedEvents()).not.toContain(capped);
});

it('defers a message whose 131049 arrives as a failed status, once for two copies of it, then sends it again', async () => {
  const to = '+447402000001';
  // Every status webhook is posted twice: the failed one too. As Meta, it follows the send's
  // answer by a moment (one ahead of the answer is processed again later).
  h.sim.setOptions({ statusWebhooks: { duplicateRate: 1, delayMs: 500 } });
  try {
    await inject({ code: 131049, recipient: to, via: 'status' });
    const res = await sendTemplate(to);
    // Accepted; the failed status may have deferred it already by the time the API answers.
    expect([200, 202]).toContain(res.statusCode);
    const { id } = res.json<{ data: { id: string } }>().data;
    const contactId = (await h.app.store.messages.byId(id))!.contact_id;
    const sendsTo = () =>
      (h.sim.sends({ full: true }).sends ?? []).filter((s) => s.recipient === to.slice(1));
    const first = sendsTo()[0]!.wamid;

    await waitUntil('the message is deferred', async () => {
      const m = await messageOf(contactId, id);
      return m?.status === 'deferred';
    });
    await h.settle();
    const deferred = (await messageOf(contactId, id))!;
    expect(deferred).toMatchObject({ message_id: null, error: { code: 131049 } });
    expect(Date.parse(deferred.deferred_until!)).toBeGreaterThan(Date.now());
    expect(deferred.status_history.filter((s) => s.status === 'deferred')).toHaveLength(1);
    expect(await failedEvents()).not.toContain(to);

    await waitUntil('the message is sent again', async () => {
      const m = await messageOf(contactId, id);
      return m?.status !== 'deferred' && m?.message_id !== null;
    });
    await h.settle();
    const resent = (await messageOf(contactId, id))!;
    expect(['sent', 'delivered', 'read']).toContain(resent.status);
    expect(resent.message_id).not.toBe(first);
    expect(resent.deferred_until).toBeNull();
    // Sent twice (the first refused by status), deferred once although the webhook came twice.
    expect(acceptedPerPhone(h, [to]).get(to.replace('+', ''))).toBe(2);
    expect(resent.status_history.filter((s) => s.status === 'deferred')).toHaveLength(1);
    const run = await h.worker.client.workflow.getHandle(`message:${id}`).result();
    expect(run).toBe('settled');
    expect(await failedEvents()).not.toContain(to);
  } finally {
    h.sim.setOptions({ statusWebhooks: { duplicateRate: 0, delayMs: 5 } });
  }
});

it('fails a message refused with 130472 for good, with its reason, and never retries it', async () => {
  const to = '+447402000002';
  await inject({ code: 130472, recipient: to, count: 'always' });
  const res = await sendTemplate(to);
  expect(res.statusCode).toBe(400);
  const { message } = res.json();
  expect(message).toMatch(/experiment/);
  await h.settle();
  const attempts = h.sim.log.filter((e) => e.error_code === 130472);
  expect(attempts).toHaveLength(1);
  const [event] = (
    await h.app.store.events.list(h.account.org_id, { type: 'message.failed' })
  ).filter((e) => e.data.to === to);
  expect(event?.data).toMatchObject({ error_code: 130472 });
  const messageId = (
    await h.app.store.messages.history(h.account.org_id, event!.data.contact_id as string, {
      limit: 1,
    })
  )[0]!._id;
  await expect(
    h.worker.client.workflow.getHandle(`message:${messageId}`).describe(),
  ).rejects.toBeInstanceOf(WorkflowNotFoundError);
});

it("sends an onboarded account's MARKETING template to /marketing_messages and its UTILITY one to /messages", async () => {
  const to = '+447402000003';
  const cart = {
    name: 'abandoned_cart',
    language: 'en',
    components: [
      {
        type: 'body',
        parameters: [
          { type: 'text', text: 'Ana' },
          { type: 'text', text: 'Running shoes' },
        ],
      },
    ],
  };
  const marketing = await sendTemplate(to, cart);
  expect(marketing.statusCode).toBe(200);
  const utility = await sendTemplate(to);
  expect(utility.statusCode).toBe(200);
  const sends = h.sim.sends({ full: true }).sends ?? [];
  const endpointOf = (wamid: string) => sends.find((s) => s.wamid === wamid)?.endpoint;
  expect(endpointOf(marketing.json().data.message_id)).toBe('marketing_messages');
  expect(endpointOf(utility.json().data.message_id)).toBe('messages');
});

import { randomInt } from 'node:crypto';
import { createMessagingHarness, type MessagingHarness } from '../support/messaging';
import {
  acceptedPerPhone,
  campaignBody,
  campaignEnds,
  campaignView,
  createCampaign,
  importContacts,
} from '../support/campaigns';
import { orderConfirmation, waitUntil } from '../support/send-queue';
import { STORE_KINDS } from '../support/store';

/**
 * Pricing and the portfolio's messaging limit on the real stack: API, workflow, dispatcher,
 * each store, and the simulator standing in for Meta (its statuses carry pricing, its Graph
 * node the tier and quality rating, and it enforces a per-WABA limit of its own).
 */
jest.setTimeout(240_000);

interface AccountView {
  id: string;
  messaging_limit: {
    tier: string | null;
    portfolio_id: string | null;
    users_per_day: number | null;
    reached_24h: number | null;
    frees_at: string | null;
  };
  quality_rating: string | null;
}

interface MessageItem {
  type: string;
  direction: string;
  pricing: Record<string, unknown> | null;
  conversation: Record<string, unknown> | null;
}

describe.each(STORE_KINDS)('on %s', (kind) => {
  let h: MessagingHarness;
  /** Contact number prefixes: each store's harness has its own organization but one pattern. */
  const prefix = kind === 'postgres' ? '7' : '8';

  beforeAll(async () => {
    h = await createMessagingHarness({ env: { WAFLOW_STORE: kind, SEND_POLL_MS: '100' } });
    const sync = await h.call({ method: 'POST', url: '/api/templates/sync', payload: {} });
    expect(sync.statusCode).toBe(200);
  });
  afterAll(() => h?.close());

  /** The simulator's control API, as an operator or a test in another process would use it. */
  const simControl = async (path: string, body: unknown) => {
    const res = await fetch(`${h.sim.url}/_sim/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBeLessThan(300);
  };

  const send = (payload: Record<string, unknown>) =>
    h.call({ method: 'POST', url: '/api/messages/send', payload });

  const orderConfirmationTo = (to: string, over: Record<string, unknown> = {}) => ({
    to,
    type: 'template',
    template: orderConfirmation,
    ...over,
  });

  async function history(phone: string): Promise<MessageItem[]> {
    const contact = await h.app.store.contacts.findByPhone(h.org.organization.id, phone);
    const res = await h.call({ method: 'GET', url: `/api/messages?contact_id=${contact!._id}` });
    expect(res.statusCode).toBe(200);
    return res.json().data.messages as MessageItem[];
  }

  async function account(id: string): Promise<AccountView> {
    const res = await h.call({ method: 'GET', url: `/api/accounts/${id}` });
    expect(res.statusCode).toBe(200);
    return res.json().data as AccountView;
  }

  it("shows the pricing of the simulator's statuses in the message history and a campaign's billable counts", async () => {
    const to = `+4474${prefix}0009001`;
    expect((await send(orderConfirmationTo(to))).statusCode).toBe(200);
    await h.settle();
    await h.sim.inbound({
      phone_number_id: h.account.phone_number_id,
      from: to.slice(1),
      name: 'Ana',
      type: 'text',
      text: 'Thanks!',
    });
    await h.settle();
    expect((await send({ to, type: 'text', text: { body: 'You are welcome' } })).statusCode).toBe(
      200,
    );
    await h.settle();
    await waitUntil('both outbound messages priced', async () => {
      const out = (await history(to)).filter((m) => m.direction === 'outbound');
      return out.length === 2 && out.every((m) => m.pricing !== null);
    });
    const [reply, first] = (await history(to)).filter((m) => m.direction === 'outbound');
    expect(first).toMatchObject({
      type: 'template',
      pricing: { billable: true, category: 'utility', type: 'regular', pricing_model: 'PMP' },
      conversation: { id: expect.any(String), origin_type: 'utility' },
    });
    expect(reply).toMatchObject({
      type: 'text',
      pricing: {
        billable: false,
        category: 'service',
        type: 'free_customer_service',
        pricing_model: 'PMP',
      },
    });

    // Three recipients of a utility template, one of them inside its window: two billable.
    const phones = await importContacts(h, 3, `priced-${kind}`, `${prefix}01`);
    await h.sim.inbound({
      phone_number_id: h.account.phone_number_id,
      from: phones[0]!.slice(1),
      type: 'text',
      text: 'hi',
    });
    await h.settle();
    const campaign = await createCampaign(h, campaignBody(`priced-${kind}`));
    await campaignEnds(h, campaign.id);
    await h.settle();
    await waitUntil('billable counted', async () => {
      const { counts } = await campaignView(h, campaign.id);
      return (counts.billable as unknown as Record<string, number>).utility === 2;
    });
    expect((await campaignView(h, campaign.id)).counts).toMatchObject({
      total: 3,
      sent: 3,
      billable: { marketing: 0, utility: 2, authentication: 0, service: 0 },
    });
    const recipients = (
      await h.call({ method: 'GET', url: `/api/campaigns/${campaign.id}/recipients` })
    ).json().data.recipients as { phone_number: string; pricing: Record<string, unknown> }[];
    expect(Object.fromEntries(recipients.map((r) => [r.phone_number, r.pricing]))).toEqual({
      [phones[0]!]: expect.objectContaining({ billable: false, type: 'free_customer_service' }),
      [phones[1]!]: expect.objectContaining({ billable: true, category: 'utility' }),
      [phones[2]!]: expect.objectContaining({ billable: true, category: 'utility' }),
    });
  });

  it('reads the tier and quality from Graph, sends a campaign to exactly the limit in new users and pauses it, never holding an API send', async () => {
    const phoneNumberId = `3${randomInt(1e9, 1e10)}${randomInt(1e3, 1e4)}`;
    const wabaId = `4${randomInt(1e9, 1e10)}${randomInt(1e3, 1e4)}`;
    const token = `EAAG-limit-${kind}`;
    const businessId = `9${randomInt(1e9, 1e10)}`;
    await simControl('phone-numbers', {
      phoneNumberId,
      wabaId,
      accessToken: token,
      qualityRating: 'YELLOW',
      businessId,
    });
    await simControl('config', { messagingLimitPerWaba: { [wabaId]: 5 } });

    // Connecting the number reads them from its Graph node.
    const created = await h.call({
      method: 'POST',
      url: '/api/accounts',
      payload: {
        name: `Limited ${kind}`,
        phone_number_id: phoneNumberId,
        waba_id: wabaId,
        access_token: token,
        app_secret: h.config.meta.simulator.appSecret,
      },
    });
    expect(created.statusCode).toBe(201);
    const id = (created.json().data as AccountView).id;
    expect(created.json().data).toMatchObject({
      messaging_limit: { tier: 'TIER_5', users_per_day: 5, reached_24h: 0, frees_at: null },
      quality_rating: 'YELLOW',
    });
    const synced = await h.call({
      method: 'POST',
      url: '/api/templates/sync',
      payload: { account_id: id },
    });
    expect(synced.statusCode).toBe(200);
    // The sync reads the WABA's owning business: the portfolio whose accounts share the limit.
    const read = await h.call({ method: 'GET', url: `/api/accounts/${id}` });
    expect(read.json().data.messaging_limit.portfolio_id).toBe(businessId);

    const tag = `limited-${kind}`;
    const phones = await importContacts(h, 12, tag, `${prefix}02`);
    const campaign = await createCampaign(h, campaignBody(tag, { whatsapp_account: id }));
    await waitUntil('paused by the messaging limit', async () => {
      const res = await h.call({ method: 'GET', url: `/api/campaigns/${campaign.id}` });
      return res.json().data.pause_reason?.code === 'messaging_limit';
    });
    await waitUntil('the queued ones went out', async () => {
      return (await h.app.store.campaigns.inQueue(campaign.id)) === 0;
    });
    await h.settle();
    const view = (await h.call({ method: 'GET', url: `/api/campaigns/${campaign.id}` })).json()
      .data as { status: string; pause_reason: { code: string }; counts: Record<string, number> };
    expect(view).toMatchObject({ status: 'paused', pause_reason: { code: 'messaging_limit' } });
    expect(view.counts).toMatchObject({ total: 12, sent: 5, pending: 7, failed: 0 });
    expect(acceptedPerPhone(h, phones).size).toBe(5);
    // The engine held the rest: Meta never had to refuse one.
    expect(h.sim.log.filter((e) => e.error_code === 131048)).toEqual([]);
    expect((await account(id)).messaging_limit).toMatchObject({
      tier: 'TIER_5',
      reached_24h: 5,
      frees_at: expect.any(String),
    });

    // Meta's own count is its business: give it room for one more, so that an API send
    // going through shows the engine did not hold it while the campaign stays paused.
    await simControl('config', { messagingLimitPerWaba: { [wabaId]: 6 } });
    const to = `+4474${prefix}0009002`;
    const api = await send(orderConfirmationTo(to, { whatsapp_account: id }));
    expect(api.statusCode).toBe(200);
    expect(api.json().data.status).toBe('sent');
    expect(acceptedPerPhone(h, [to]).get(to.slice(1))).toBe(1);
    expect((await campaignView(h, campaign.id)).status).toBe('paused');
    expect(acceptedPerPhone(h, phones).size).toBe(5);
    expect((await account(id)).messaging_limit.reached_24h).toBe(6);

    // The hourly template sync reads them again. (The campaign resumes by itself once the
    // window's oldest send is 24 h old, on a durable timer: this stack's Temporal cannot skip
    // a day, so test/workflow/campaign.test.ts proves it on the time-skipping server.)
    await simControl('config', { messagingLimitPerWaba: { [wabaId]: 2_000 } });
    await simControl('phone-numbers', { phoneNumberId, qualityRating: 'RED' });
    const again = await h.call({
      method: 'POST',
      url: '/api/templates/sync',
      payload: { account_id: id },
    });
    expect(again.statusCode).toBe(200);
    expect(await account(id)).toMatchObject({
      messaging_limit: { tier: 'TIER_2K', users_per_day: 2_000, reached_24h: 6 },
      quality_rating: 'RED',
    });

    const cancelled = await h.call({ method: 'POST', url: `/api/campaigns/${campaign.id}/cancel` });
    expect(cancelled.json().data.status).toBe('cancelled');
    await campaignEnds(h, campaign.id, 'cancelled');
  });
});

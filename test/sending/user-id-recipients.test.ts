import { campaignBody, campaignEnds, createCampaign } from '../support/campaigns';
import { createPaymentsHarness, type PaymentsHarness } from '../support/payments';
import { waitUntil } from '../support/send-queue';
import { STORE_KINDS } from '../support/store';

/**
 * Customers known only by their business-scoped user id (a WhatsApp username, no number) are
 * reached by campaigns and payment links through `recipient`, on the real stack.
 */
jest.setTimeout(180_000);

describe.each(STORE_KINDS)('sends to contacts with no number, on %s', (kind) => {
  let h: PaymentsHarness;
  let orgId: string;
  beforeAll(async () => {
    h = await createPaymentsHarness({ env: { WAFLOW_STORE: kind, SEND_POLL_MS: '100' } });
    orgId = h.org.organization.id;
  });
  afterAll(() => h?.close());

  /** A username-only customer writes in: a contact with a user id and no phone number. */
  async function usernameContact(username: string) {
    const wrote = await h.sim.inbound({
      phone_number_id: h.account.phone_number_id,
      username,
      name: 'Uma',
      text: 'hello',
    });
    await h.settle();
    const contact = (await h.app.store.contacts.findByUserId(orgId, wrote.user_id))!;
    expect(contact.phone_number).toBeNull();
    return contact;
  }

  /** The bodies of the sends Meta received for this user id. */
  const sendsTo = (userId: string) =>
    h.sim.log
      .filter((e) => e.path.endsWith('/messages'))
      .map((e) => e.body as Record<string, unknown>)
      .filter((b) => b.recipient === userId);

  it('reaches a username-only contact of a campaign audience through recipient', async () => {
    const contact = await usernameContact(`camp.${kind}`);
    const tagged = await h.call({
      method: 'PUT',
      url: `/api/contacts/${contact._id}`,
      payload: { tags: ['by-user-id'] },
    });
    expect(tagged.statusCode).toBe(200);
    const phone = await h.call({
      method: 'POST',
      url: '/api/contacts',
      payload: { phone_number: '+14155550170', tags: ['by-user-id'], opted_in: true },
    });
    expect(phone.statusCode).toBe(201);

    const campaign = await createCampaign(h, campaignBody('by-user-id'));
    await campaignEnds(h, campaign.id);

    const [send, ...more] = sendsTo(contact.user_id!);
    expect(more).toEqual([]);
    expect(send).toMatchObject({ type: 'template', template: { name: 'order_confirmation' } });
    expect(send!.to).toBeUndefined();
    const res = await h.call({ method: 'GET', url: `/api/campaigns/${campaign.id}/recipients` });
    const rows = res.json().data.recipients as Record<string, unknown>[];
    expect(rows).toHaveLength(2);
    const row = rows.find((r) => r.contact_id === contact._id);
    expect(row).toMatchObject({ phone_number: null, wamid: expect.any(String) });
    expect(['sent', 'delivered', 'read']).toContain(row!.state);
    expect(rows.find((r) => r.contact_id !== contact._id)?.phone_number).toBe('+14155550170');
  });

  it('sends a payment link to a username-only contact through recipient, by contact_id or user_id', async () => {
    const contact = await usernameContact(`pay.${kind}`);
    for (const who of [{ contact_id: contact._id }, { user_id: contact.user_id }]) {
      const res = await h.call({
        method: 'POST',
        url: '/api/payment-links',
        payload: { ...who, amount: 49_900, currency: 'INR', description: 'Order #7' },
      });
      expect(res.statusCode).toBe(201);
      expect(res.json().data).toMatchObject({ contact_id: contact._id, phone_number: null });
    }
    await waitUntil('both links sent', async () => sendsTo(contact.user_id!).length === 2);
    for (const send of sendsTo(contact.user_id!)) {
      // Inside the window the link goes as text.
      expect(send).toMatchObject({ type: 'text' });
      expect((send.text as { body: string }).body).toContain('Order #7');
      expect(send.to).toBeUndefined();
    }

    const unknown = await h.call({
      method: 'POST',
      url: '/api/payment-links',
      payload: { user_id: 'US.404', amount: 100, currency: 'INR', description: 'x' },
    });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().message).toContain('US.404');
    const both = await h.call({
      method: 'POST',
      url: '/api/payment-links',
      payload: {
        contact_id: contact._id,
        user_id: contact.user_id,
        amount: 100,
        currency: 'INR',
        description: 'x',
      },
    });
    expect(both.statusCode).toBe(400);
    expect(both.json().message).toContain('exactly one of contact_id, phone_number or user_id');
  });
});

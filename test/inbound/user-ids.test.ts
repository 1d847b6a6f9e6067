import { createHmac } from 'node:crypto';
import type { MetaStatus, MetaWebhook } from '../../meta/webhook-payload';
import { createMessagingHarness, type MessagingHarness } from '../support/messaging';
import { STORE_KINDS } from '../support/store';

/**
 * Customers known by Meta's business-scoped user ids (BSUIDs), driven through the simulator:
 * username-only users write with no number, later bring one, change ids, and are sent to.
 */
describe.each(STORE_KINDS)('contacts by user id, on %s', (kind) => {
  let h: MessagingHarness;
  let orgId: string;
  beforeAll(async () => {
    h = await createMessagingHarness({ env: { WAFLOW_STORE: kind } });
    orgId = h.account.org_id;
  });
  afterAll(() => h?.close());

  const contactCount = async () =>
    (await h.app.store.contacts.list(orgId, { page: 1, limit: 100 })).total;
  const incoming = async (wamid: string) =>
    (await h.app.store.events.list(orgId, { type: 'message.incoming' }, 1_000)).find(
      (e) => e.data.message_id === wamid,
    );
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a webhook as posted
  const lastWebhook = (): any => JSON.parse(h.sim.webhookLog.at(-1)!.body);

  it('stores a username-only message on a contact made by user id; a later number joins it', async () => {
    const before = await contactCount();
    const first = await h.sim.inbound({
      phone_number_id: h.account.phone_number_id,
      username: 'ana.k',
      name: 'Ana',
      text: 'hello',
    });
    await h.settle();

    // Meta's shape for a username-only user: no from, no wa_id.
    const value = lastWebhook().entry[0].changes[0].value;
    expect(value.messages[0].from).toBeUndefined();
    expect(value.messages[0].from_user_id).toBe(first.user_id);
    expect(value.contacts[0]).toEqual({
      profile: { name: 'Ana', username: 'ana.k' },
      user_id: first.user_id,
    });

    const contact = await h.app.store.contacts.findByUserId(orgId, first.user_id);
    expect(contact).toMatchObject({
      phone_number: null,
      user_id: first.user_id,
      username: 'ana.k',
      name: 'Ana',
      source: 'whatsapp_webhook',
    });
    expect(contact!.last_inbound_at).not.toBeNull();
    const event = await incoming(first.wamid);
    expect(event?.data).toMatchObject({
      from: null,
      user_id: first.user_id,
      username: 'ana.k',
      contact_id: contact!._id,
      text: 'hello',
    });
    const [stored] = await h.app.store.messages.history(orgId, contact!._id, { limit: 10 });
    expect(stored).toMatchObject({ phone_number: null, user_id: first.user_id });

    // The same user with their number: the same contact takes it, no second contact.
    const second = await h.sim.inbound({
      phone_number_id: h.account.phone_number_id,
      from: '+14155550190',
      user_id: first.user_id,
      text: 'my number now',
    });
    await h.settle();
    const joined = await h.app.store.contacts.findByPhone(orgId, '+14155550190');
    expect(joined?._id).toBe(contact!._id);
    expect(joined?.user_id).toBe(first.user_id);
    expect((await incoming(second.wamid))?.data).toMatchObject({
      from: '+14155550190',
      user_id: first.user_id,
      contact_id: contact!._id,
    });
    expect(await contactCount()).toBe(before + 1);
    const updated = await h.app.store.events.list(orgId, { type: 'contact.updated' }, 1_000);
    expect(updated.some((e) => e.data.id === contact!._id && e.data.phone_number)).toBe(true);
  });

  it('moves a contact to a new user id and a new number, never making a second one', async () => {
    const wrote = await h.sim.inbound({
      phone_number_id: h.account.phone_number_id,
      from: '+14155550191',
      text: 'hi',
    });
    await h.settle();
    const contact = (await h.app.store.contacts.findByPhone(orgId, '+14155550191'))!;
    expect(contact.user_id).toBe(wrote.user_id);
    const count = await contactCount();

    const changedId = await h.sim.system({
      phone_number_id: h.account.phone_number_id,
      type: 'user_changed_user_id',
      from: '+14155550191',
      user_id: wrote.user_id,
    });
    await h.settle();
    const system = lastWebhook().entry[0].changes[0].value.messages[0];
    expect(system.system).toMatchObject({
      type: 'user_changed_user_id',
      user_id: changedId.user_id,
      previous_user_id: wrote.user_id,
    });
    expect(await h.app.store.contacts.findByUserId(orgId, wrote.user_id)).toBeNull();
    const renamed = await h.app.store.contacts.findByUserId(orgId, changedId.user_id);
    expect(renamed?._id).toBe(contact._id);

    const changedNumber = await h.sim.system({
      phone_number_id: h.account.phone_number_id,
      type: 'user_changed_number',
      from: '+14155550191',
      user_id: changedId.user_id,
      new_phone: '+14155550192',
    });
    await h.settle();
    const moved = await h.app.store.contacts.get(orgId, contact._id);
    expect(moved).toMatchObject({ phone_number: '+14155550192', user_id: changedNumber.user_id });
    expect(await h.app.store.contacts.findByPhone(orgId, '+14155550191')).toBeNull();
    expect(await contactCount()).toBe(count);
    // Stored as the contact's inbound system messages; they open no 24 h window.
    expect(moved!.last_inbound_at).toEqual(contact.last_inbound_at);
    const event = await incoming(changedNumber.wamid);
    expect(event?.data).toMatchObject({ type: 'system', contact_id: contact._id });
  });

  it('sends to a contact with no number through recipient, by user_id or contact_id', async () => {
    const wrote = await h.sim.inbound({
      phone_number_id: h.account.phone_number_id,
      username: 'bo.r',
      text: 'any news?',
    });
    await h.settle();
    const contact = (await h.app.store.contacts.findByUserId(orgId, wrote.user_id))!;
    h.sim.clearLog();

    for (const to of [{ user_id: wrote.user_id }, { contact_id: contact._id }]) {
      const res = await h.call({
        method: 'POST',
        url: '/api/messages/send',
        payload: { ...to, type: 'text', text: 'yes: it shipped' },
      });
      expect(res.statusCode).toBe(200);
      expect(res.json().data).toMatchObject({ status: 'sent' });
    }
    await h.settle();
    const sends = h.sim.log.filter((e) => e.path.endsWith('/messages'));
    expect(sends).toHaveLength(2);
    for (const send of sends) {
      const body = send.body as Record<string, unknown>;
      expect(body.recipient).toBe(wrote.user_id);
      expect(body.to).toBeUndefined();
    }
    const statuses = h.sim.webhookLog
      .filter((w) => w.kind === 'status')
      .map((w) => (JSON.parse(w.body) as MetaWebhook).entry![0]!.changes![0]!.value!.statuses![0]!);
    expect(statuses.length).toBeGreaterThan(0);
    for (const s of statuses) {
      expect(s.recipient_user_id).toBe(wrote.user_id);
      expect(s.recipient_id).toBeUndefined();
    }
    const messages = await h.app.store.messages.history(orgId, contact._id, { limit: 10 });
    const outbound = messages.filter((m) => m.direction === 'outbound');
    expect(outbound).toHaveLength(2);
    for (const m of outbound) {
      expect(m).toMatchObject({ phone_number: null, user_id: wrote.user_id });
      expect(['delivered', 'read']).toContain(m.status);
    }
  });

  const statusesOf = (wamid: string): MetaStatus[] =>
    h.sim.webhookLog
      .filter((w) => w.kind === 'status')
      .map((w) => (JSON.parse(w.body) as MetaWebhook).entry![0]!.changes![0]!.value!.statuses![0]!)
      .filter((s) => s.id === wamid);

  it("names a known user by number and user id in a phone send's statuses, and applies them", async () => {
    const wrote = await h.sim.inbound({
      phone_number_id: h.account.phone_number_id,
      from: '+14155550193',
      text: 'hi',
    });
    await h.settle();
    const res = await h.call({
      method: 'POST',
      url: '/api/messages/send',
      payload: { to: '+14155550193', type: 'text', text: 'hello' },
    });
    expect(res.statusCode).toBe(200);
    const { id, message_id: wamid } = res.json().data as { id: string; message_id: string };
    await h.settle();
    const send = h.sim.log.find((e) => e.wamid === wamid)!.body as Record<string, unknown>;
    expect(send.to).toBe('14155550193');
    const statuses = statusesOf(wamid);
    expect(statuses.map((s) => s.status)).toEqual(['sent', 'delivered', 'read']);
    for (const s of statuses) {
      expect(s).toMatchObject({ recipient_id: '14155550193', recipient_user_id: wrote.user_id });
    }
    expect((await h.app.store.messages.get(orgId, id))?.status).toBe('read');
  });

  it('keeps a message naming no sender dead with its reason, and stores the rest of its webhook', async () => {
    const ghost = `wamid.no-sender-${kind}`;
    const known = `wamid.beside-it-${kind}`;
    const ts = String(Math.floor(Date.now() / 1000));
    const body = JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: h.account.waba_id,
          changes: [
            {
              field: 'messages',
              value: {
                messaging_product: 'whatsapp',
                metadata: { phone_number_id: h.account.phone_number_id },
                contacts: [{ profile: { name: 'Nobody' } }, { wa_id: '14155550194' }],
                messages: [
                  { id: ghost, timestamp: ts, type: 'text', text: { body: 'who am I?' } },
                  {
                    from: '14155550194',
                    id: known,
                    timestamp: ts,
                    type: 'text',
                    text: { body: 'hi' },
                  },
                ],
              },
            },
          ],
        },
      ],
    });
    const signature = createHmac('sha256', h.config.meta.simulator.appSecret)
      .update(body)
      .digest('hex');
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/webhooks/meta',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': `sha256=${signature}` },
      payload: body,
    });
    expect(res.statusCode).toBe(200);
    await h.app.inbox.idle();

    // Kept for an operator at once: no retry can find its sender.
    const dead = await h.call({ method: 'GET', url: '/api/inbound-webhooks/dead' });
    expect(dead.statusCode).toBe(200);
    const kept = (dead.json().data.webhooks as { body: string }[]).find((w) => w.body === body);
    expect(kept).toMatchObject({
      state: 'dead',
      attempts: 1,
      last_error: `message without a sender: ${ghost}`,
    });
    expect(await incoming(known)).toBeDefined();
    expect(await incoming(ghost)).toBeUndefined();
  });

  it('creates, filters, searches and refuses twice a contact by user_id in the API', async () => {
    const userId = 'US.90000000000000000001';
    const created = await h.call({
      method: 'POST',
      url: '/api/contacts',
      payload: { user_id: userId, username: 'cy.z', name: 'Cy' },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json().data).toMatchObject({
      phone_number: null,
      user_id: userId,
      username: 'cy.z',
    });
    const again = await h.call({
      method: 'POST',
      url: '/api/contacts',
      payload: { user_id: userId },
    });
    expect(again.statusCode).toBe(409);
    expect(again.json().message).toContain(userId);
    const neither = await h.call({ method: 'POST', url: '/api/contacts', payload: { name: 'X' } });
    expect(neither.statusCode).toBe(400);
    const bad = await h.call({
      method: 'POST',
      url: '/api/contacts',
      payload: { user_id: 'nope' },
    });
    expect(bad.statusCode).toBe(400);

    const filtered = await h.call({ method: 'GET', url: `/api/contacts?user_id=${userId}` });
    expect(filtered.json().data.contacts.map((c: { user_id: string }) => c.user_id)).toEqual([
      userId,
    ]);
    for (const search of ['cy.z', '90000000000000000001']) {
      const found = await h.call({ method: 'GET', url: `/api/contacts?search=${search}` });
      expect(found.json().data.contacts.map((c: { user_id: string }) => c.user_id)).toContain(
        userId,
      );
    }
  });
});

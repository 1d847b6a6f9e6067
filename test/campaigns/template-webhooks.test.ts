import { createMessagingHarness, type MessagingHarness } from '../support/messaging';
import { campaignBody, campaignView, createCampaign, importContacts } from '../support/campaigns';
import { waitUntil } from '../support/send-queue';

/**
 * Meta pauses a template: the simulator posts its status webhook (no phone number id, the WABA
 * in entry[].id), and the running campaigns and sequences that send it stop sending it.
 */
jest.setTimeout(180_000);

let h: MessagingHarness;

beforeAll(async () => {
  h = await createMessagingHarness({ env: { SEND_POLL_MS: '100' } });
  const sync = await h.call({ method: 'POST', url: '/api/templates/sync', payload: {} });
  expect(sync.statusCode).toBe(200);
});
afterAll(() => h?.close());

const changeTemplate = async (name: string, language: string, change: Record<string, string>) => {
  const res = await h.sim.app.inject({
    method: 'PATCH',
    url: '/_sim/templates',
    payload: { phoneNumberId: h.account.phone_number_id, name, language, ...change },
  });
  expect(res.statusCode).toBe(200);
  await h.settle();
};

const storedTemplate = (name: string, language: string) =>
  h.app.store.templates.find(h.account.org_id, h.account._id, name, language);

it("the simulator posts Meta's template webhooks, which update the stored template at once", async () => {
  await changeTemplate('abandoned_cart', 'en', { category: 'UTILITY', quality: 'YELLOW' });
  expect(await storedTemplate('abandoned_cart', 'en')).toMatchObject({
    category: 'UTILITY',
    quality_score: 'YELLOW',
  });
  const posted = h.sim.webhookLog.filter((w) => w.kind === 'account');
  const fieldOf = (body: string) =>
    (JSON.parse(body) as { entry: { changes: { field: string }[] }[] }).entry[0]!.changes[0]!.field;
  expect(posted.map((w) => fieldOf(w.body))).toEqual([
    'template_category_update',
    'message_template_quality_update',
  ]);
  expect(posted.every((w) => w.delivered && !w.body.includes('phone_number_id'))).toBe(true);

  const other = await h.sim.app.inject({
    method: 'POST',
    url: '/_sim/account-events',
    payload: {
      phoneNumberId: h.account.phone_number_id,
      field: 'account_update',
      value: { event: 'VERIFIED_ACCOUNT' },
    },
  });
  expect(other.statusCode).toBe(202);
  await h.settle();
  const listed = await h.call({ method: 'GET', url: '/api/meta-events?field=account_update' });
  expect(listed.json().data.events[0]).toMatchObject({
    waba_id: h.account.waba_id,
    state: 'stored',
    value: { event: 'VERIFIED_ACCOUNT' },
  });
});

it('pauses a running campaign whose template Meta pauses, saying why', async () => {
  await h.app.store.accounts.update(h.account.org_id, h.account._id, { throughput: 5 });
  h.sim.setOptions({ throughputPerNumber: { [h.account.phone_number_id]: 5 } });
  await importContacts(h, 200, 'paused-template', '300');
  const campaign = await createCampaign(h, campaignBody('paused-template'));
  await waitUntil(
    'the campaign runs',
    async () => (await campaignView(h, campaign.id)).status === 'running',
  );

  await changeTemplate('order_confirmation', 'en', {
    status: 'PAUSED',
    reason: 'Your template was paused because it had low quality.',
  });
  expect(await storedTemplate('order_confirmation', 'en')).toMatchObject({ status: 'PAUSED' });
  const view = (await h.call({ method: 'GET', url: `/api/campaigns/${campaign.id}` })).json().data;
  expect(view).toMatchObject({
    status: 'paused',
    pause_reason: {
      code: 'template',
      message:
        'Template order_confirmation (en) is PAUSED: Your template was paused because it had low quality.',
    },
  });
  // Approved again: the user resumes it.
  await changeTemplate('order_confirmation', 'en', { status: 'APPROVED' });
  expect((await campaignView(h, campaign.id)).status).toBe('paused');
  await h.call({ method: 'POST', url: `/api/campaigns/${campaign.id}/cancel` });
});

it('holds the subscribers of a sequence at a step whose template Meta paused, and shows why', async () => {
  const created = await h.call({
    method: 'POST',
    url: '/api/sequences',
    payload: {
      name: 'Held',
      steps: [
        {
          delay: '0m',
          type: 'anytime',
          message: {
            type: 'template',
            template: { name: 'hello_world', language: 'en_US', components: [] },
          },
        },
      ],
    },
  });
  expect(created.statusCode).toBe(201);
  const id = created.json().data.id as string;
  await changeTemplate('hello_world', 'en_US', { status: 'PAUSED' });

  const [phone] = await importContacts(h, 1, 'held', '400');
  const contact = await h.app.store.contacts.findByPhone(h.account.org_id, phone!);
  const sub = await h.call({
    method: 'POST',
    url: `/api/sequences/${id}/subscribers`,
    payload: { contact_ids: [contact!._id] },
  });
  expect(sub.statusCode).toBeLessThan(300);
  await waitUntil('the first step is held', async () => {
    const s = await h.app.store.sequenceSubscriptions.get(id, contact!._id);
    // Held: due again later at the same step, rather than sent or failed.
    return (s?.next_step_at?.getTime() ?? 0) > Date.now() + 10 * 60_000;
  });
  const held = await h.app.store.sequenceSubscriptions.get(id, contact!._id);
  expect(held).toMatchObject({ state: 'active', step: 0, history: [] });
  expect(h.sim.sends({ full: true }).sends?.some((x) => x.recipient === phone!.slice(1))).toBe(
    false,
  );
  const view = (await h.call({ method: 'GET', url: `/api/sequences/${id}` })).json().data;
  expect(view.paused_reason).toBe('Template hello_world (en_US) is PAUSED');
  expect(view.subscribers).toMatchObject({ active: 1, exited: 0 });

  await changeTemplate('hello_world', 'en_US', { status: 'APPROVED' });
  const after = (await h.call({ method: 'GET', url: `/api/sequences/${id}` })).json().data;
  expect(after.paused_reason).toBeNull();
});

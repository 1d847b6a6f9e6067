import { createMessagingHarness, type MessagingHarness } from '../support/messaging';
import {
  acceptedPerPhone,
  campaignBody,
  campaignEnds,
  campaignView,
  createCampaign,
  importContacts,
} from '../support/campaigns';
import { waitUntil } from '../support/send-queue';

/**
 * Campaigns on the real stack: API, workflow, dispatcher, PostgreSQL or MongoDB, and the
 * simulator, whose log of accepted sends says who got what.
 */
jest.setTimeout(240_000);

let h: MessagingHarness;

beforeAll(async () => {
  h = await createMessagingHarness({ env: { SEND_POLL_MS: '100' } });
  const sync = await h.call({ method: 'POST', url: '/api/templates/sync', payload: {} });
  expect(sync.statusCode).toBe(200);
});

afterAll(() => h?.close());

async function throughput(perSecond: number) {
  await h.app.store.accounts.update(h.account.org_id, h.account._id, { throughput: perSecond });
  h.sim.setOptions({ throughputPerNumber: { [h.account.phone_number_id]: perSecond } });
}

const control = (id: string, action: 'pause' | 'resume' | 'cancel') =>
  h.call({ method: 'POST', url: `/api/campaigns/${id}/${action}` });

function expectEachOnce(phones: string[]) {
  const accepted = acceptedPerPhone(h, phones);
  expect([...accepted].filter(([, n]) => n > 1)).toEqual([]);
  return accepted;
}

it('sends a 1,000-recipient campaign to each recipient once, and fires campaign.completed', async () => {
  await throughput(200);
  const phones = await importContacts(h, 1_000, 'launch', '100');
  const campaign = await createCampaign(h, campaignBody('launch'));
  await campaignEnds(h, campaign.id);

  expect(expectEachOnce(phones).size).toBe(1_000);
  const view = await campaignView(h, campaign.id);
  expect(view.counts).toMatchObject({ total: 1_000, sent: 1_000, failed: 0, skipped: 0 });
  const [completed] = await h.app.store.events.list(h.account.org_id, {
    type: 'campaign.completed',
  });
  expect(completed?.data).toMatchObject({ id: campaign.id, total: 1_000, sent: 1_000, failed: 0 });
  // The template's parameters came from each contact.
  const one = (h.sim.sends({ full: true }).sends ?? []).find((s) => s.recipient === '447401000007');
  const body = h.sim.log.find((e) => e.wamid === one?.wamid)?.body as {
    template: { components: { parameters: { text: string }[] }[] };
  };
  expect(body.template.components[0]!.parameters.map((p) => p.text)).toEqual([
    'Customer 7',
    'ORD-1',
  ]);
  // Statuses keep coming after completion: delivered and read counts follow them.
  await h.settle();
  await waitUntil('statuses counted', async () => {
    const counts = (await campaignView(h, campaign.id)).counts;
    return counts.delivered === 1_000 && counts.read === 1_000;
  });
});

it('pauses within one batch, resumes where it stopped, and cancels', async () => {
  await throughput(20);
  const phones = await importContacts(h, 200, 'paced', '200');
  const campaign = await createCampaign(h, campaignBody('paced'));
  await waitUntil('some are sent', async () => acceptedPerPhone(h, phones).size >= 20);

  const paused = await control(campaign.id, 'pause');
  expect(paused.statusCode).toBe(200);
  expect(paused.json().data).toMatchObject({
    status: 'paused',
    pause_reason: { code: 'manual', message: 'Paused through the API' },
  });
  const atPause = acceptedPerPhone(h, phones).size;
  await waitUntil('the queued ones went out', async () => {
    return (await h.app.store.campaigns.inQueue(campaign.id)) === 0;
  });
  await h.settle();
  const afterPause = acceptedPerPhone(h, phones).size;
  // What the send queue held (3 s at 20/s) and the sends in flight may still go out; nothing
  // after it.
  expect(afterPause - atPause).toBeLessThanOrEqual(70);
  await new Promise((r) => setTimeout(r, 1_500));
  expect(acceptedPerPhone(h, phones).size).toBe(afterPause);
  expect((await control(campaign.id, 'pause')).statusCode).toBe(409);

  expect((await control(campaign.id, 'resume')).json().data).toMatchObject({
    status: 'running',
    pause_reason: null,
  });
  await waitUntil('it sends again', async () => acceptedPerPhone(h, phones).size > afterPause);
  const cancelled = await control(campaign.id, 'cancel');
  expect(cancelled.json().data.status).toBe('cancelled');
  await campaignEnds(h, campaign.id, 'cancelled');
  // What was already in the send queue still goes; then nothing more.
  await waitUntil('the queued ones went out', async () => {
    return (await h.app.store.campaigns.inQueue(campaign.id)) === 0;
  });
  await h.settle();
  const sent = expectEachOnce(phones).size;
  expect(sent).toBeLessThan(200);
  const view = await campaignView(h, campaign.id);
  expect(view.counts.sent).toBe(sent);
  expect(view.counts.cancelled).toBe(200 - sent);
  expect((await control(campaign.id, 'resume')).statusCode).toBe(409);
});

it('finishes through 130429 refusals and counts permanent failures', async () => {
  await throughput(100);
  const phones = await importContacts(h, 300, 'bumpy', '300');
  const campaign = await createCampaign(h, campaignBody('bumpy'));
  await waitUntil('it is sending', async () => acceptedPerPhone(h, phones).size >= 10);
  const phoneNumberId = h.account.phone_number_id;
  h.sim.failNext(4, {
    httpStatus: 429,
    code: 130429,
    message: '(#130429) Rate limit hit',
    phoneNumberId,
  });
  h.sim.failNext(3, {
    httpStatus: 400,
    code: 131026,
    message: 'Message undeliverable',
    phoneNumberId,
  });
  await campaignEnds(h, campaign.id);

  const accepted = expectEachOnce(phones);
  expect(accepted.size).toBe(297);
  const view = await campaignView(h, campaign.id);
  expect(view.counts).toMatchObject({ total: 300, sent: 297, failed: 3 });
  const failed = await h.call({
    method: 'GET',
    url: `/api/campaigns/${campaign.id}/recipients?state=failed`,
  });
  const rows = failed.json().data.recipients as { error_code: number }[];
  expect(rows.map((r) => r.error_code)).toEqual([131026, 131026, 131026]);
});

it('sends free-form text in 24h mode only where the window is open, counting the rest skipped', async () => {
  await throughput(80);
  const phones = await importContacts(h, 3, 'window', '500');
  await h.sim.inbound({
    phone_number_id: h.account.phone_number_id,
    from: phones[1]!.replace('+', ''),
    name: 'Bea',
    type: 'text',
    text: 'hi',
  });
  await h.settle();
  const campaign = await createCampaign(h, {
    name: 'Window',
    audience: { tags: ['window'] },
    mode: '24h',
    message: { type: 'text', text: 'Hello {{name}}, your order shipped' },
  });
  await campaignEnds(h, campaign.id);
  expect([...expectEachOnce(phones).keys()]).toEqual([phones[1]!.replace('+', '')]);
  expect((await campaignView(h, campaign.id)).counts).toMatchObject({
    total: 3,
    sent: 1,
    skipped: 2,
  });
  const skipped = await h.call({
    method: 'GET',
    url: `/api/campaigns/${campaign.id}/recipients?state=skipped`,
  });
  expect(skipped.json().data.recipients.map((r: { reason: string }) => r.reason)).toEqual([
    'Outside the 24-hour window',
    'Outside the 24-hour window',
  ]);
});

it('keeps to a throughput below the number’s', async () => {
  await throughput(100);
  const phones = await importContacts(h, 60, 'slow', '600');
  const campaign = await createCampaign(h, campaignBody('slow', { throughput: 10 }));
  await campaignEnds(h, campaign.id);
  expectEachOnce(phones);
  const times = (h.sim.sends({ full: true }).sends ?? [])
    .filter((s) => s.recipient.startsWith('447406000'))
    .map((s) => Date.parse(s.time));
  // Sixty at 10 a second take at least five seconds, whatever the number's own limit.
  expect(Math.max(...times) - Math.min(...times)).toBeGreaterThanOrEqual(4_500);
});

import { createMessagingHarness, type MessagingHarness } from '../support/messaging';
import {
  acceptedPerPhone,
  campaignBody,
  campaignEnds,
  campaignView,
  createCampaign,
  importContacts,
} from '../support/campaigns';

/** A campaign whose template parameters come from a custom action, on the real stack. */
jest.setTimeout(240_000);

let h: MessagingHarness;

beforeAll(async () => {
  h = await createMessagingHarness({ env: { SEND_POLL_MS: '100' } });
  const sync = await h.call({ method: 'POST', url: '/api/templates/sync', payload: {} });
  expect(sync.statusCode).toBe(200);
  await h.app.store.accounts.update(h.account.org_id, h.account._id, { throughput: 200 });
  h.sim.setOptions({ throughputPerNumber: { [h.account.phone_number_id]: 200 } });
});

afterAll(() => h?.close());

async function createAction(code: string, name: string): Promise<string> {
  const res = await h.call({ method: 'POST', url: '/api/actions', payload: { name, code } });
  expect(res.statusCode).toBe(201);
  return res.json().data.id as string;
}

/** Template parameters filled by an action; recipient 13 makes the action throw. */
const CODE = [
  'const n = Number(contact.phone_number.slice(-4));',
  "if (n === 13) throw new Error('unlucky ' + n);",
  "return { greeting: `Dear ${contact.name.toUpperCase()}`, code: 'VIP-' + (n * 7) };",
].join('\n');

const actionBody = (tag: string, actionId: string) => {
  const body = campaignBody(tag);
  return {
    ...body,
    message: {
      ...body.message,
      action_id: actionId,
      template: {
        ...body.message.template,
        components: [
          {
            type: 'body',
            parameters: [
              { type: 'text', text: '{{action.greeting}}' },
              { type: 'text', text: '{{action.code}}' },
            ],
          },
        ],
      },
    },
  };
};

function parametersSentTo(phone: string): string[] {
  const send = (h.sim.sends({ full: true }).sends ?? []).find((s) => s.recipient === phone);
  const body = h.sim.log.find((e) => e.wamid === send?.wamid)?.body as {
    template: { components: { parameters: { text: string }[] }[] };
  };
  return body.template.components[0]!.parameters.map((p) => p.text);
}

it('fills template parameters from an action run per recipient, skipping those whose run fails', async () => {
  const phones = await importContacts(h, 60, 'act', '300');
  const actionId = await createAction(CODE, 'campaign parameters');

  const preview = await h.call({
    method: 'POST',
    url: '/api/campaigns/preview',
    payload: actionBody('act', actionId),
  });
  expect(preview.statusCode).toBe(200);
  const samples = preview.json().data.samples as {
    phone_number: string;
    action: unknown;
    content: { components: { parameters: { text: string }[] }[] };
  }[];
  expect(samples).toHaveLength(3);
  for (const sample of samples) {
    const n = Number(sample.phone_number.slice(-4));
    const values = { greeting: `Dear CUSTOMER ${n}`, code: `VIP-${n * 7}` };
    expect(sample.action).toEqual(n === 13 ? { error: expect.any(String) } : { values });
    if (n !== 13) {
      expect(sample.content.components[0]!.parameters.map((p) => p.text)).toEqual([
        values.greeting,
        values.code,
      ]);
    }
  }

  const campaign = await createCampaign(h, actionBody('act', actionId));
  await campaignEnds(h, campaign.id);

  const accepted = acceptedPerPhone(h, phones);
  expect(accepted.size).toBe(59);
  expect(accepted.has('447403000013')).toBe(false);
  expect(parametersSentTo('447403000007')).toEqual(['Dear CUSTOMER 7', 'VIP-49']);
  const view = await campaignView(h, campaign.id);
  expect(view.counts).toMatchObject({ total: 60, sent: 59, skipped: 1 });
  const skipped = await h.call({
    method: 'GET',
    url: `/api/campaigns/${campaign.id}/recipients?state=skipped`,
  });
  expect(skipped.json().data.recipients).toEqual([
    expect.objectContaining({
      phone_number: '+447403000013',
      reason: 'Action runtime error: Error: unlucky 13',
    }),
  ]);

  // Every run is recorded against the campaign (the preview's without one).
  const runs = await h.app.store.actions.runs(h.account.org_id, actionId, { limit: 200 });
  const ofCampaign = runs.filter((r) => r.caller.id === campaign.id);
  expect(ofCampaign).toHaveLength(60);
  expect(ofCampaign.filter((r) => r.outcome === 'runtime')).toHaveLength(1);
  expect(runs.filter((r) => r.caller.type === 'campaign' && r.caller.id === null)).toHaveLength(3);
});

it('refuses action placeholders without an action, and an unknown action', async () => {
  const body = actionBody('act', 'x');
  const { action_id: _omit, ...withoutAction } = body.message;
  const missing = await h.call({
    method: 'POST',
    url: '/api/campaigns',
    payload: { ...body, message: withoutAction },
  });
  expect(missing.statusCode).toBe(400);
  expect(missing.json().message).toMatch(/placeholder \{\{action.greeting\}\} needs an action_id/);
  const unknown = await h.call({ method: 'POST', url: '/api/campaigns', payload: body });
  expect(unknown.statusCode).toBe(404);
  expect(unknown.json().message).toBe("Action 'x' not found");
});

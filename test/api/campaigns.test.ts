import {
  ServiceError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { provisionOrganization, type Provisioned } from '../../scripts/provision';
import type { CampaignViewData } from '../../api/schemas/campaigns';
import type { NewCampaign } from '../../store/contract/campaigns';
import type { AccountDoc, CampaignDoc, TemplateDoc } from '../../store/documents';
import { campaignWorkflowId } from '../../workflows/contracts/campaign';
import { createTestApp, type TestApp } from '../support/app';

type Caller = (o: InjectOptions) => Promise<LightMyRequestResponse>;

let t: TestApp;
let orgId: string;
let account: AccountDoc;
/** Campaigns whose workflow was started: terminated at the end (no worker runs here). */
const started: string[] = [];

const template = (
  name: string,
  fields: Partial<TemplateDoc> = {},
  accountId = account._id,
  org = orgId,
): TemplateDoc => ({
  _id: `${accountId}:${name}:en_US`,
  org_id: org,
  account_id: accountId,
  meta_id: `meta-${name}`,
  name,
  language: 'en_US',
  category: 'MARKETING',
  status: 'APPROVED',
  components: [{ type: 'BODY', text: 'Hi {{1}}, your plan is {{2}}' }],
  parameter_counts: { header: 0, body: 2, buttons: [] },
  header_format: null,
  quality_score: null,
  synced_at: new Date(),
  ...fields,
});

beforeAll(async () => {
  t = await createTestApp({
    env: { RATE_LIMIT_PER_MINUTE: '100000', RATE_LIMIT_PER_SECOND: '100000' },
  });
  orgId = t.org.organization.id;
  account = (await t.app.store.accounts.resolve(orgId, null))!;
  await t.app.store.templates.upsert([
    template('spring_sale'),
    template('hello', { parameter_counts: { header: 0, body: 0, buttons: [] }, components: [] }),
    template('draft_offer', { status: 'PENDING' }),
  ]);
});
afterAll(async () => {
  await Promise.all(
    started.map((id) =>
      t.app.temporal.workflow
        .getHandle(campaignWorkflowId(id))
        .terminate('test over')
        .catch(() => undefined),
    ),
  );
  await t?.close();
});

let seq = 0;
const phone = (cc = '1415') => `+${cc}555${String(1000 + seq++).padStart(4, '0')}`;
/** A tag no other test uses: each test's audience is its own. */
const newTag = () => `t${seq++}`;

async function contact(fields: Record<string, unknown>, call: Caller = (o) => t.call(o)) {
  const res = await call({
    method: 'POST',
    url: '/api/contacts',
    payload: { phone_number: phone(), opted_in: true, ...fields },
  });
  expect(res.statusCode).toBe(201);
  return res.json().data as { id: string; phone_number: string };
}

const saleMessage = (...params: string[]) => ({
  type: 'template',
  template: {
    name: 'spring_sale',
    language: 'en_US',
    components: [
      {
        type: 'body',
        parameters: (params.length ? params : ['{{name | there}}', '{{custom_fields.plan}}']).map(
          (text) => ({ type: 'text', text }),
        ),
      },
    ],
  },
});

const body = (tag: string, extra: Record<string, unknown> = {}) => ({
  name: 'Spring sale',
  audience: { tags: [tag] },
  message: saleMessage(),
  ...extra,
});

const post = (url: string, payload: unknown, call: Caller = (o) => t.call(o)) =>
  call({ method: 'POST', url, payload: payload as InjectOptions['payload'] });

async function createCampaign(payload: unknown, call: Caller = (o) => t.call(o)) {
  const res = await post('/api/campaigns', payload, call);
  expect(res.statusCode).toBe(201);
  const campaign = res.json<{ data: CampaignViewData }>().data;
  started.push(campaign.id);
  return campaign;
}

const campaignCount = async () => (await t.app.store.campaigns.list(orgId, { limit: 50 })).length;

const storedCampaign = async (fields: Partial<NewCampaign> = {}): Promise<CampaignDoc> =>
  (
    await t.app.store.campaigns.create(orgId, {
      name: 'Stored',
      accountId: account._id,
      audience: {},
      message: { type: 'text', text: 'Hi' },
      mode: '24h',
      scheduledAt: null,
      throughput: null,
      ...fields,
    })
  ).doc;

describe('POST /api/campaigns', () => {
  it('creates the campaign, starts its workflow and answers its view', async () => {
    const tag = newTag();
    await contact({ tags: [tag], name: 'Ana' });
    const scheduledAt = new Date(Date.now() + 3_600_000).toISOString();
    const campaign = await createCampaign(body(tag, { scheduled_at: scheduledAt, throughput: 10 }));
    expect(campaign).toMatchObject({
      name: 'Spring sale',
      whatsapp_account_id: account._id,
      status: 'scheduled',
      mode: 'anytime',
      audience: { tags: [tag] },
      message: {
        type: 'template',
        template: { name: 'spring_sale', language: 'en_US' },
      },
      scheduled_at: scheduledAt,
      throughput: 10,
      counts: {
        total: 0,
        pending: 0,
        sent: 0,
        delivered: 0,
        read: 0,
        failed: 0,
        deferred: 0,
        skipped: 0,
        cancelled: 0,
        billable: { marketing: 0, utility: 0, authentication: 0, service: 0 },
      },
      progress: 0,
      error: null,
      started_at: null,
      completed_at: null,
    });

    const description = await t.app.temporal.workflow
      .getHandle(campaignWorkflowId(campaign.id))
      .describe();
    expect(description).toMatchObject({
      type: 'campaignWorkflow',
      taskQueue: t.app.config.temporal.taskQueue,
      status: { name: 'RUNNING' },
    });
  });

  it('defaults to 24h mode for free-form text, and to the template language', async () => {
    const tag = newTag();
    await contact({ tags: [tag] });
    const text = await createCampaign(
      body(tag, { message: { type: 'text', text: 'Hi {{name | there}}' } }),
    );
    expect(text).toMatchObject({
      mode: '24h',
      message: { type: 'text', text: 'Hi {{name | there}}' },
    });
    const hello = await createCampaign(
      body(tag, { message: { type: 'template', template: { name: 'hello' } } }),
    );
    expect(hello.message).toEqual({
      type: 'template',
      template: { name: 'hello', language: 'en_US', components: [] },
    });
  });

  it('marks the campaign failed when its workflow cannot start, answering 503', async () => {
    const tag = newTag();
    await contact({ tags: [tag] });
    const unavailable = Object.assign(new Error('14 UNAVAILABLE: connection refused'), {
      code: 14,
      details: 'connection refused',
      metadata: {},
    });
    const start = jest
      .spyOn(t.app.temporal.workflow, 'start')
      .mockRejectedValue(new ServiceError('Failed to start workflow', { cause: unavailable }));
    try {
      const res = await post('/api/campaigns', body(tag, { name: 'Unstartable' }));
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBe('5');
    } finally {
      start.mockRestore();
    }
    const [failed] = (await t.app.store.campaigns.list(orgId, { limit: 1 })).filter(
      (c) => c.name === 'Unstartable',
    );
    expect(failed).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/could not be started: Failed to start workflow/),
    });
  });
});

describe('preflight', () => {
  let tag: string;
  beforeAll(async () => {
    tag = newTag();
    await contact({ tags: [tag], name: 'Ana', custom_fields: { plan: 'pro' } });
  });

  const refused = async (payload: unknown, status = 400) => {
    const before = await campaignCount();
    const res = await post('/api/campaigns', payload);
    expect(res.statusCode).toBe(status);
    expect(await campaignCount()).toBe(before);
    return res.json().message as string;
  };

  it('refuses an unknown template', async () => {
    const message = await refused(
      body(tag, { message: { type: 'template', template: { name: 'nope', language: 'en_US' } } }),
      404,
    );
    expect(message).toBe(
      "Template 'nope' not found or not approved: the WhatsApp account has none in en_US",
    );
  });

  it('refuses a template in a language it does not have', async () => {
    const message = await refused(
      body(tag, { message: { type: 'template', template: { name: 'hello', language: 'de' } } }),
      404,
    );
    expect(message).toBe(
      "Template 'hello' not found or not approved: the WhatsApp account has none in de",
    );
  });

  it('refuses a template that is not approved', async () => {
    const payload = body(tag, { message: { ...saleMessage(), template: { name: 'draft_offer' } } });
    expect(await refused(payload)).toBe('Template not approved: draft_offer (en_US) is PENDING');
  });

  it("stores a bare language as the account's one approved variant of it", async () => {
    const sale = saleMessage();
    const campaign = await createCampaign(
      body(tag, {
        message: { ...sale, template: { ...sale.template, language: 'en' } },
        scheduled_at: new Date(Date.now() + 86_400_000).toISOString(),
      }),
    );
    expect(campaign.message).toMatchObject({
      type: 'template',
      template: { name: 'spring_sale', language: 'en_US' },
    });
  });

  it('refuses parameters that do not match the template', async () => {
    expect(await refused(body(tag, { message: saleMessage('{{name}}') }))).toBe(
      "Template 'spring_sale' expects 2 body parameters, got 1",
    );
  });

  it('refuses an audience that matches nobody', async () => {
    expect(await refused(body('nobody-has-this-tag'))).toBe(
      'audience: matches no opted-in contact',
    );
    const optedOut = newTag();
    await contact({ tags: [optedOut], opted_in: false });
    expect(await refused(body(optedOut))).toBe('audience: matches no opted-in contact');
  });

  it('refuses free-form text in anytime mode', async () => {
    const message = await refused(
      body(tag, { mode: 'anytime', message: { type: 'text', text: 'Hi' } }),
    );
    expect(message).toBe(
      'Invalid request: body.mode: free-form text can only be sent in 24h mode; anytime needs a template',
    );
  });

  it('refuses a start in the past, or more than a year ahead', async () => {
    expect(await refused(body(tag, { scheduled_at: '2020-01-01T00:00:00Z' }))).toBe(
      'scheduled_at: must be in the future',
    );
    const far = new Date(Date.now() + 400 * 86_400_000).toISOString();
    expect(await refused(body(tag, { scheduled_at: far }))).toBe(
      'scheduled_at: must be within a year',
    );
    expect(await refused(body(tag, { scheduled_at: 'tomorrow' }))).toMatch(
      /^Invalid request: body\.scheduled_at: /,
    );
  });

  it("refuses a throughput above the number's", async () => {
    expect(await refused(body(tag, { throughput: account.throughput + 1 }))).toBe(
      `throughput: at most ${account.throughput} messages per second, the number's own`,
    );
    expect(await refused(body(tag, { throughput: 0 }))).toMatch(
      /^Invalid request: body\.throughput/,
    );
  });

  it('refuses a disconnected account', async () => {
    const other = await t.app.store.accounts.create(orgId, {
      name: 'Old number',
      phoneNumberId: `pn-${Date.now()}`,
      wabaId: 'waba-1',
      accessToken: 'EAAG-old',
      appSecret: 'secret',
      verifyToken: 'verify',
    });
    await t.app.store.templates.upsert([template('spring_sale', {}, other._id)]);
    await t.app.store.accounts.markDisconnected(other._id, 'Meta error 190: token expired');
    expect(await refused(body(tag, { whatsapp_account: other._id }))).toBe(
      'Account disconnected: Meta error 190: token expired',
    );
  });

  it('refuses an account the organization does not have with 404', async () => {
    const message = await refused(
      body(tag, { whatsapp_account: '00000000-0000-4000-8000-000000000000' }),
      404,
    );
    expect(message).toBe("WhatsApp account '00000000-0000-4000-8000-000000000000' not found");
  });

  it('refuses unknown placeholders, naming them', async () => {
    expect(await refused(body(tag, { message: saleMessage('{{first_name}}', '{{plan}}') }))).toBe(
      'message: unknown placeholder {{first_name}}, unknown placeholder {{plan}}; placeholders ' +
        'are {{name}}, {{phone_number}}, {{email}}, {{stage}}, {{custom_fields.<key>}} and, ' +
        'with an action_id, {{action.<key>}}',
    );
  });

  it('refuses a malformed audience, naming the field', async () => {
    for (const [audience, field] of [
      [{ tag: 'vip' }, 'body.audience'],
      [{ tags: [] }, 'body.audience.tags'],
      [{ country_codes: ['0'] }, 'body.audience.country_codes.0'],
      [{ tags: ['a'], tags_match: 'some' }, 'body.audience.tags_match'],
      [{ custom_field: { key: 'plan' } }, 'body.audience.custom_field.value'],
    ] as const) {
      const message = await refused(body(tag, { audience }));
      expect(message).toMatch(new RegExp(`^Invalid request: ${field.replaceAll('.', '\\.')}: `));
    }
    expect(await refused({ name: 'x', message: saleMessage() })).toMatch(/body\.audience: /);
  });
});

describe('POST /api/campaigns/preview', () => {
  it('answers the audience size and three rendered samples, creating nothing', async () => {
    const tag = newTag();
    const ana = await contact({ tags: [tag], name: 'Ana', custom_fields: { plan: 'pro' } });
    const bob = await contact({ tags: [tag], custom_fields: { plan: 'basic' } });
    const cy = await contact({ tags: [tag], name: 'Cy' });
    await contact({ tags: [tag], name: 'Dee' });
    await contact({ tags: [tag], name: 'Opted out', opted_in: false });
    const before = await campaignCount();

    const res = await post('/api/campaigns/preview', body(tag));
    expect(res.statusCode).toBe(200);
    const sample = (
      c: { id: string; phone_number: string },
      params: string[],
      missing: string[],
    ) => ({
      contact_id: c.id,
      phone_number: c.phone_number,
      window_open: false,
      type: 'template',
      content: {
        name: 'spring_sale',
        language: { code: 'en_US' },
        components: [{ type: 'body', parameters: params.map((text) => ({ type: 'text', text })) }],
      },
      missing,
    });
    expect(res.json().data).toEqual({
      audience_size: 4,
      samples: [
        sample(ana, ['Ana', 'pro'], []),
        sample(bob, ['there', 'basic'], []),
        sample(cy, ['Cy', ''], ['custom_fields.plan']),
      ],
    });
    expect(await campaignCount()).toBe(before);
  });

  it('renders free-form text and runs the same preflight, but not the schedule check', async () => {
    const tag = newTag();
    const ana = await contact({ tags: [tag], name: 'Ana', stage: 'Lead' });
    const res = await post('/api/campaigns/preview', {
      ...body(tag),
      message: { type: 'text', text: 'Hi {{ name }}, you are a {{stage|customer}} ({{email}})' },
      scheduled_at: '2020-01-01T00:00:00Z',
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().data).toEqual({
      audience_size: 1,
      samples: [
        {
          contact_id: ana.id,
          phone_number: ana.phone_number,
          window_open: false,
          type: 'text',
          content: { body: 'Hi Ana, you are a Lead ()' },
          missing: ['email'],
        },
      ],
    });
    const refused = await post('/api/campaigns/preview', body('nobody-has-this-tag'));
    expect(refused.statusCode).toBe(400);
    expect(refused.json().message).toBe('audience: matches no opted-in contact');
  });
});

describe('reading campaigns', () => {
  let other: Provisioned;
  const asOther = (o: InjectOptions) =>
    t.app.inject({ ...o, headers: { 'x-api-key': other.api_key.key } });
  beforeAll(async () => {
    other = await provisionOrganization(t.app.store, { name: 'Other' });
    const otherId = other.organization.id;
    const otherAccount = (await t.app.store.accounts.resolve(otherId, null))!;
    await t.app.store.templates.upsert([template('spring_sale', {}, otherAccount._id, otherId)]);
  });

  it('lists newest first with counts, page by page', async () => {
    const tag = newTag();
    await contact({ tags: [tag] }, asOther);
    const first = await createCampaign(body(tag, { name: 'First' }), asOther);
    const second = await createCampaign(body(tag, { name: 'Second' }), asOther);
    const third = await createCampaign(body(tag, { name: 'Third' }), asOther);
    const page1 = await asOther({ method: 'GET', url: '/api/campaigns?limit=2' });
    expect(page1.statusCode).toBe(200);
    const { campaigns, next_cursor } = page1.json().data;
    expect(campaigns.map((c: { name: string }) => c.name)).toEqual(['Third', 'Second']);
    expect(campaigns[0]).toEqual(third);
    expect(next_cursor).toEqual({ before_time: second.created_at, before_id: second.id });

    const page2 = await asOther({
      method: 'GET',
      url: `/api/campaigns?limit=2&before_time=${encodeURIComponent(next_cursor.before_time)}&before_id=${next_cursor.before_id}`,
    });
    expect(page2.json().data).toEqual({ campaigns: [first], next_cursor: null });
  });

  it('refuses a half cursor and a limit over 50', async () => {
    for (const [query, field] of [
      ['before_time=2026-01-01T00:00:00Z', 'querystring.before_id'],
      ['limit=51', 'querystring.limit'],
    ]) {
      const res = await t.call({ method: 'GET', url: `/api/campaigns?${query}` });
      expect(res.statusCode).toBe(400);
      expect(res.json().message).toMatch(new RegExp(`^Invalid request: ${field}: `));
    }
  });

  it("gets one campaign, and answers 404 for another organization's", async () => {
    const tag = newTag();
    await contact({ tags: [tag] });
    const campaign = await createCampaign(body(tag));
    const res = await t.call({ method: 'GET', url: `/api/campaigns/${campaign.id}` });
    expect(res.statusCode).toBe(200);
    expect(res.json().data).toEqual(campaign);

    for (const url of [
      `/api/campaigns/${campaign.id}`,
      `/api/campaigns/${campaign.id}/recipients`,
    ]) {
      const hidden = await asOther({ method: 'GET', url });
      expect(hidden.statusCode).toBe(404);
      expect(hidden.json().message).toBe(`Campaign '${campaign.id}' not found`);
    }
    const pause = await asOther({ method: 'POST', url: `/api/campaigns/${campaign.id}/pause` });
    expect(pause.statusCode).toBe(404);
    expect((await t.call({ method: 'GET', url: '/api/campaigns/nope' })).statusCode).toBe(404);
  });

  it('shows counts and progress from the recipients, and pages recipients by state', async () => {
    const tag = newTag();
    const contacts = [];
    for (let i = 0; i < 4; i++) contacts.push(await contact({ tags: [tag] }));
    const campaign = await storedCampaign({ audience: { tags: [tag] } });
    expect(await t.app.store.campaigns.snapshot(campaign)).toBe(4);
    await t.app.store.campaigns.markRecipients(campaign._id, [
      {
        contact_id: contacts[1]!.id,
        state: 'skipped',
        message_id: null,
        reason: 'Outside the 24-hour window',
      },
      { contact_id: contacts[3]!.id, state: 'cancelled', message_id: null, reason: null },
    ]);

    const view = (await t.call({ method: 'GET', url: `/api/campaigns/${campaign._id}` })).json()
      .data;
    expect(view.counts).toEqual({
      total: 4,
      pending: 2,
      sent: 0,
      delivered: 0,
      read: 0,
      failed: 0,
      deferred: 0,
      skipped: 1,
      cancelled: 1,
      billable: { marketing: 0, utility: 0, authentication: 0, service: 0 },
    });
    expect(view.progress).toBe(0.5);

    const url = `/api/campaigns/${campaign._id}/recipients`;
    const first = (await t.call({ method: 'GET', url: `${url}?limit=3` })).json().data;
    expect(first.recipients.map((r: { contact_id: string }) => r.contact_id)).toEqual(
      contacts.slice(0, 3).map((c) => c.id),
    );
    expect(first.recipients[1]).toEqual({
      contact_id: contacts[1]!.id,
      seq: 2,
      phone_number: contacts[1]!.phone_number,
      state: 'skipped',
      message_id: null,
      wamid: null,
      error_code: null,
      error_message: null,
      reason: 'Outside the 24-hour window',
      deferred_until: null,
      pricing: null,
    });
    expect(first.next_after_seq).toBe(3);
    const rest = (
      await t.call({ method: 'GET', url: `${url}?limit=3&after_seq=${first.next_after_seq}` })
    ).json().data;
    expect(rest.recipients.map((r: { seq: number }) => r.seq)).toEqual([4]);
    expect(rest.next_after_seq).toBeNull();

    const pending = (await t.call({ method: 'GET', url: `${url}?state=pending` })).json().data;
    expect(pending.recipients.map((r: { contact_id: string }) => r.contact_id)).toEqual([
      contacts[0]!.id,
      contacts[2]!.id,
    ]);
  });

  it('refuses bad recipient queries, naming the parameter', async () => {
    const campaign = await storedCampaign();
    for (const [query, field] of [
      ['state=lost', 'querystring.state'],
      ['limit=0', 'querystring.limit'],
      ['limit=501', 'querystring.limit'],
      ['after_seq=-1', 'querystring.after_seq'],
      ['after_seq=abc', 'querystring.after_seq'],
    ]) {
      const res = await t.call({
        method: 'GET',
        url: `/api/campaigns/${campaign._id}/recipients?${query}`,
      });
      expect({ query, status: res.statusCode }).toEqual({ query, status: 400 });
      expect(res.json().message).toMatch(new RegExp(`^Invalid request: ${field}: `));
    }
  });
});

describe('pause, resume and cancel', () => {
  it('answers 409 for a finished campaign without asking the workflow', async () => {
    const getHandle = jest.spyOn(t.app.temporal.workflow, 'getHandle');
    try {
      for (const status of ['completed', 'cancelled', 'failed'] as const) {
        const campaign = await storedCampaign();
        await t.app.store.campaigns.update(campaign._id, { status });
        for (const action of ['pause', 'resume', 'cancel']) {
          const res = await t.call({
            method: 'POST',
            url: `/api/campaigns/${campaign._id}/${action}`,
          });
          expect(res.statusCode).toBe(409);
          expect(res.json().message).toBe(`Campaign is ${status}`);
        }
      }
      expect(getHandle).not.toHaveBeenCalled();
    } finally {
      getHandle.mockRestore();
    }
  });

  it('answers 409 when the campaign has no workflow running', async () => {
    const campaign = await storedCampaign();
    const res = await t.call({ method: 'POST', url: `/api/campaigns/${campaign._id}/pause` });
    expect(res.statusCode).toBe(409);
    expect(res.json().message).toBe('Campaign is not running');
  });

  it("answers 409 with the workflow's reason when it refuses the update", async () => {
    const campaign = await storedCampaign();
    const refusal = ApplicationFailure.create({
      message: 'Only a paused campaign can be resumed; it is running',
      nonRetryable: true,
    });
    const getHandle = jest.spyOn(t.app.temporal.workflow, 'getHandle').mockReturnValue({
      executeUpdate: () =>
        Promise.reject(new WorkflowUpdateFailedError('Workflow Update failed', refusal)),
    } as never);
    try {
      const res = await t.call({ method: 'POST', url: `/api/campaigns/${campaign._id}/resume` });
      expect(res.statusCode).toBe(409);
      expect(res.json().message).toBe('Only a paused campaign can be resumed; it is running');
      expect(getHandle).toHaveBeenCalledWith(campaignWorkflowId(campaign._id));
    } finally {
      getHandle.mockRestore();
    }
  });

  it('answers the campaign with the status the workflow took', async () => {
    const campaign = await storedCampaign();
    await t.app.store.campaigns.update(campaign._id, { status: 'running' });
    const updates: string[] = [];
    const getHandle = jest.spyOn(t.app.temporal.workflow, 'getHandle').mockReturnValue({
      executeUpdate: (def: { name: string }) => {
        updates.push(def.name);
        return Promise.resolve('paused');
      },
    } as never);
    try {
      const res = await t.call({ method: 'POST', url: `/api/campaigns/${campaign._id}/pause` });
      expect(res.statusCode).toBe(200);
      expect(res.json().data).toMatchObject({ id: campaign._id, status: 'paused' });
      expect(updates).toEqual(['pauseCampaign']);
    } finally {
      getHandle.mockRestore();
    }
  });

  it('answers 503 when the workflow does not take the update in time', async () => {
    const campaign = await storedCampaign();
    const getHandle = jest.spyOn(t.app.temporal.workflow, 'getHandle').mockReturnValue({
      executeUpdate: () =>
        Promise.reject(new WorkflowUpdateRPCTimeoutOrCancelledError('deadline exceeded')),
    } as never);
    try {
      const res = await t.call({ method: 'POST', url: `/api/campaigns/${campaign._id}/cancel` });
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBe('5');
      expect(res.json().message).toMatch(
        /did not answer in time; the cancel may still take effect/,
      );
    } finally {
      getHandle.mockRestore();
    }
  });
});

describe('OpenAPI', () => {
  it('documents the campaign routes with their bodies and answers', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/campaigns',
        '/api/campaigns/preview',
        '/api/campaigns/{id}',
        '/api/campaigns/{id}/recipients',
        '/api/campaigns/{id}/pause',
        '/api/campaigns/{id}/resume',
        '/api/campaigns/{id}/cancel',
      ]),
    );
    const create = doc.paths['/api/campaigns'].post;
    expect(create.requestBody.content['application/json'].schema.required).toEqual([
      'name',
      'audience',
      'message',
    ]);
    expect(Object.keys(create.responses)).toEqual(
      expect.arrayContaining(['201', '400', '404', '503']),
    );
    expect(Object.keys(doc.paths['/api/campaigns/{id}/pause'].post.responses)).toContain('409');
  });
});

describe('Idempotency-Key on POST /api/campaigns', () => {
  const create = (payload: unknown, key: string, apiKey = t.org.api_key.key) =>
    t.app.inject({
      method: 'POST',
      url: '/api/campaigns',
      payload: payload as InjectOptions['payload'],
      headers: { 'x-api-key': apiKey, 'idempotency-key': key },
    });

  it('answers a repeat with the first campaign and never starts a second workflow', async () => {
    const tag = newTag();
    await contact({ tags: [tag] });
    const key = `spring-${tag}`;
    const first = await create(body(tag), key);
    expect(first.statusCode).toBe(201);
    const { id } = first.json<{ data: CampaignViewData }>().data;
    started.push(id);
    const handle = t.app.temporal.workflow.getHandle(campaignWorkflowId(id));
    const { runId } = await handle.describe();

    const again = await create(body(tag), key);
    expect(again.statusCode).toBe(201);
    expect(again.json().data).toEqual(first.json().data);
    // Even once its workflow has ended, a repeat starts no other run of it.
    await handle.terminate('ended');
    const late = await create(body(tag), key);
    expect(late.json().data.id).toBe(id);
    const now = await handle.describe();
    expect({ runId: now.runId, status: now.status.name }).toEqual({ runId, status: 'TERMINATED' });
  });

  it('answers a repeat whose checks would now fail with the first campaign', async () => {
    const tag = newTag();
    const only = await contact({ tags: [tag] });
    const key = `gone-${tag}`;
    const first = await create(body(tag), key);
    expect(first.statusCode).toBe(201);
    started.push(first.json().data.id);
    await t.call({ method: 'DELETE', url: `/api/contacts/${only.id}` });
    // The audience matches no one now: a new campaign is refused, the repeat is not.
    expect((await create(body(tag), `new-${tag}`)).json().code).toBe('empty_audience');
    const again = await create(body(tag), key);
    expect(again.statusCode).toBe(201);
    expect(again.json().data.id).toBe(first.json().data.id);
  });

  it('refuses the key with another request, and keeps keys per organization', async () => {
    const tag = newTag();
    await contact({ tags: [tag] });
    const key = `shared-${tag}`;
    const first = await create(body(tag), key);
    started.push(first.json().data.id);
    const other = await create(body(tag, { name: 'Other sale' }), key);
    expect(other.statusCode).toBe(409);
    expect(other.json()).toEqual({
      message: `Idempotency-Key '${key}' was already used for a different request`,
      status: 'error',
      code: 'idempotency_key_reused',
    });

    const org = await provisionOrganization(t.app.store, { name: 'Keys' });
    const orgAccount = (await t.app.store.accounts.resolve(org.organization.id, null))!;
    await t.app.store.templates.upsert([
      template('spring_sale', {}, orgAccount._id, org.organization.id),
    ]);
    await contact({ tags: [tag] }, (o) =>
      t.app.inject({ ...o, headers: { 'x-api-key': org.api_key.key } }),
    );
    const theirs = await create(body(tag), key, org.api_key.key);
    expect(theirs.statusCode).toBe(201);
    started.push(theirs.json().data.id);
    expect(theirs.json().data.id).not.toBe(first.json().data.id);
  });
});

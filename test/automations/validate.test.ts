import { AutomationBody } from '../../api/schemas/automations';
import type { AutomationRequest } from '../../automations/request';
import { validateAutomation } from '../../automations/validate';
import { ValidationError } from '../../lib/errors';
import type { TemplateDoc } from '../../store/documents';
import { createTestApp, type TestApp } from '../support/app';

/**
 * What an automation must be to be stored: each refusal a 400 naming the step (by index and
 * id), the trigger or the condition. Lookups (templates, actions, sequences, campaigns, stores)
 * go to the real store.
 */
let t: TestApp;
let orgId: string;
let accountId: string;
let actionId: string;
let sequenceId: string;
let campaignId: string;

const template = (name: string, body: number, language = 'en_US'): TemplateDoc => ({
  _id: `${accountId}:${name}:${language}`,
  org_id: orgId,
  account_id: accountId,
  meta_id: `meta-${name}-${language}`,
  name,
  language,
  category: 'UTILITY',
  status: 'APPROVED',
  components: [{ type: 'BODY', text: 'Hi {{1}}' }],
  parameter_counts: { header: 0, body, buttons: [] },
  header_format: null,
  quality_score: null,
  synced_at: new Date(),
});

beforeAll(async () => {
  t = await createTestApp();
  const { store } = t.app;
  orgId = t.org.organization.id;
  accountId = (await store.accounts.resolve(orgId, null))!._id;
  await store.templates.upsert([template('order_update', 1), template('checking_in', 0)]);
  actionId = (await store.actions.create(orgId, { name: 'score', description: null, code: 'x' }))
    ._id;
  sequenceId = (
    await store.sequences.create(orgId, {
      name: 'Onboarding',
      keywords: [],
      account_id: accountId,
      steps: [],
      schedule: null,
      reentry: 'never',
      exit: { tags: [], on_reply: false },
    })
  )._id;
  campaignId = (
    await store.campaigns.create(orgId, {
      name: 'Spring',
      accountId,
      audience: {},
      message: { type: 'text', text: 'Hi' },
      mode: '24h',
      scheduledAt: null,
      throughput: null,
    })
  ).doc._id;
});
afterAll(() => t?.close());

const text = (id: string, body = 'Hi {{name | there}}', extra: object = {}) => ({
  id,
  type: 'send_message',
  message: { type: 'text', text: body },
  ...extra,
});

/** The request as the API parses it (defaults filled), with these fields replaced. */
const request = (over: Record<string, unknown> = {}): AutomationRequest =>
  AutomationBody.parse({
    name: 'Hello',
    trigger: { type: 'keyword', keywords: ['hi'] },
    steps: [text('hello')],
    ...over,
  });

const plan = (req: AutomationRequest) => validateAutomation(t.app.store, orgId, req);

/** The message of the 400 a request gets. */
async function refusal(req: AutomationRequest): Promise<string> {
  const err = await plan(req).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ValidationError);
  expect((err as ValidationError).statusCode).toBe(400);
  return (err as ValidationError).message;
}

const steps = (...s: object[]) => request({ steps: s });

describe('validateAutomation', () => {
  it('stores a valid automation: account, durations in ms, templates in their language', async () => {
    const doc = await plan(
      steps(
        {
          id: 'ask',
          type: 'send_message',
          message: {
            type: 'template',
            template: {
              name: 'order_update',
              language: 'en',
              components: [{ type: 'body', parameters: [{ type: 'text', text: '{{name}}' }] }],
            },
          },
        },
        {
          id: 'wait',
          type: 'wait_for_reply',
          timeout: '1h',
          branches: [{ match: { button: 'yes' }, next: 'thanks' }],
          otherwise: 'pause',
          on_timeout: null,
          save_to: 'answer',
        },
        { id: 'pause', type: 'delay', duration: '30m' },
        text('thanks', 'Thanks, you said {{message.text}}', {
          fallback: { type: 'template', template: { name: 'checking_in' } },
        }),
      ),
    );
    expect(doc).toMatchObject({
      name: 'Hello',
      enabled: true,
      priority: 0,
      account_id: accountId,
      conditions: [],
      trigger: { type: 'keyword', keywords: ['hi'] },
    });
    expect(doc.steps[0]).toMatchObject({
      message: { type: 'template', template: { name: 'order_update', language: 'en_US' } },
      fallback: null,
    });
    expect(doc.steps[1]).toMatchObject({ timeout: '1h', timeout_ms: 3_600_000 });
    expect(doc.steps[2]).toMatchObject({ duration: '30m', duration_ms: 1_800_000 });
    expect(doc.steps[3]).toMatchObject({
      fallback: { type: 'template', template: { name: 'checking_in', language: 'en_US' } },
    });
  });

  describe('the step graph', () => {
    it('refuses a duplicate step id', async () => {
      expect(await refusal(steps(text('a', 'x'), text('b', 'y'), text('a', 'z')))).toBe(
        'steps[2] (a): the id is already used by steps[0]',
      );
    });

    it.each([
      ['next', text('a', 'x', { next: 'nowhere' })],
      [
        'then',
        {
          id: 'a',
          type: 'condition',
          conditions: [{ field: 'opted_in', op: 'equals', value: true }],
          then: 'nowhere',
          else: null,
        },
      ],
      [
        'else',
        {
          id: 'a',
          type: 'condition',
          conditions: [{ field: 'opted_in', op: 'equals', value: true }],
          then: null,
          else: 'nowhere',
        },
      ],
      [
        'branches[0].next',
        {
          id: 'a',
          type: 'wait_for_reply',
          timeout: '1h',
          branches: [{ match: { button: 'b' }, next: 'nowhere' }],
          on_timeout: null,
        },
      ],
      [
        'otherwise',
        { id: 'a', type: 'wait_for_reply', timeout: '1h', otherwise: 'nowhere', on_timeout: null },
      ],
      ['on_timeout', { id: 'a', type: 'wait_for_reply', timeout: '1h', on_timeout: 'nowhere' }],
    ])('refuses %s naming no step', async (field, step) => {
      expect(await refusal(steps(step))).toBe(`steps[0] (a): ${field} names no step: 'nowhere'`);
    });

    it('refuses a step the first cannot reach', async () => {
      expect(
        await refusal(steps(text('a', 'x', { next: 'c' }), text('b', 'orphan'), text('c', 'y'))),
      ).toBe('steps[1] (b): no path from the first step reaches it');
    });

    it('refuses a loop, even through a wait, naming its steps', async () => {
      expect(
        await refusal(
          steps(text('ask', 'Email?'), {
            id: 'wait',
            type: 'wait_for_reply',
            timeout: '1h',
            otherwise: 'ask',
            on_timeout: null,
          }),
        ),
      ).toBe('steps[0] (ask): the steps loop (ask → wait → ask); every run must reach an end');
      expect(await refusal(steps(text('a', 'x', { next: 'a' })))).toBe(
        'steps[0] (a): the steps loop (a → a); every run must reach an end',
      );
    });

    it('takes branches that join again (a graph without loops)', async () => {
      const doc = await plan(
        steps(
          {
            id: 'check',
            type: 'condition',
            conditions: [{ field: 'tags', op: 'contains', value: 'vip' }],
            then: 'vip',
            else: 'plain',
          },
          text('vip', 'Hello VIP', { next: 'bye' }),
          text('plain', 'Hello', { next: 'bye' }),
          text('bye', 'Bye'),
        ),
      );
      expect(doc.steps.map((s) => s.id)).toEqual(['check', 'vip', 'plain', 'bye']);
    });
  });

  describe('templates', () => {
    const templateStep = (name: string, extra: object = {}) => ({
      id: 'offer',
      type: 'send_message',
      message: { type: 'template', template: { name, language: 'en' } },
      ...extra,
    });

    it('refuses a template the account does not have', async () => {
      const message = await refusal(steps(text('hi'), templateStep('no_such_template')));
      expect(message).toBe(
        "steps[1] (offer): message.template: Template 'no_such_template' not found or not " +
          'approved: the WhatsApp account has none in en',
      );
    });

    it('refuses a fallback template the account does not have', async () => {
      const message = await refusal(
        steps(
          text('hi', 'Hi', { fallback: { type: 'template', template: { name: 'gone_template' } } }),
        ),
      );
      expect(message).toMatch(/^steps\[0\] \(hi\): fallback\.template: Template 'gone_template'/);
    });

    it('refuses parameters that do not match the template', async () => {
      expect(await refusal(steps(templateStep('order_update')))).toMatch(
        /^steps\[0\] \(offer\): message\.template: .*body/,
      );
    });
  });

  describe('placeholders', () => {
    it('refuses an unknown placeholder in a message', async () => {
      expect(await refusal(steps(text('hi', 'Hi {{nmae}}')))).toMatch(
        /^steps\[0\] \(hi\): message: unknown \{\{nmae\}\}; placeholders are /,
      );
    });

    it('refuses one in a template parameter, a set_fields value and emit_event data', async () => {
      expect(
        await refusal(
          steps({
            id: 't',
            type: 'send_message',
            message: {
              type: 'template',
              template: {
                name: 'order_update',
                components: [{ type: 'body', parameters: [{ type: 'text', text: '{{order}}' }] }],
              },
            },
          }),
        ),
      ).toMatch(/^steps\[0\] \(t\): message\.template: unknown \{\{order\}\}/);
      expect(
        await refusal(steps({ id: 'f', type: 'set_fields', set: { last: '{{message.body}}' } })),
      ).toMatch(/^steps\[0\] \(f\): set: unknown \{\{message\.body\}\}/);
      expect(
        await refusal(
          steps({ id: 'e', type: 'emit_event', name: 'lead', data: { who: ['{{contact}}'] } }),
        ),
      ).toMatch(/^steps\[0\] \(e\): data: unknown \{\{contact\}\}/);
    });

    it('takes the placeholders runs know', async () => {
      await expect(
        plan(
          steps(
            text(
              'hi',
              '{{name}} {{phone_number}} {{email}} {{stage}} {{username}} {{user_id}} ' +
                '{{custom_fields.plan}} {{action.score}} {{message.text}} {{message.button}}',
            ),
          ),
        ),
      ).resolves.toBeDefined();
    });
  });

  describe('patterns', () => {
    it('refuses a trigger pattern that cannot run in linear time', async () => {
      expect(await refusal(request({ trigger: { type: 'pattern', pattern: '(a)\\1' } }))).toBe(
        'trigger.pattern: cannot run in linear time: backreferences, lookaheads, groups inside ' +
          'lookbehinds and counted repetitions over 16 (like {17} or {1,20}) are not allowed',
      );
    });

    it('refuses an upper-case pattern that ignores case', async () => {
      expect(await refusal(request({ trigger: { type: 'pattern', pattern: 'Order' } }))).toMatch(
        /^trigger\.pattern: 'O': .*write the pattern in lower case/,
      );
    });

    it("refuses a branch's slow pattern, naming the step", async () => {
      const message = await refusal(
        steps({
          id: 'wait',
          type: 'wait_for_reply',
          timeout: '10m',
          branches: [{ match: { pattern: 'yes(?=!)' }, next: null }],
          on_timeout: null,
        }),
      );
      expect(message).toMatch(/^steps\[0\] \(wait\): branches\[0\]\.match\.pattern: cannot run/);
    });

    it('refuses a slow matches condition', async () => {
      expect(
        await refusal(
          request({ conditions: [{ field: 'message.text', op: 'matches', value: 'a{1,99}' }] }),
        ),
      ).toMatch(/^conditions\[0\]\.value: cannot run in linear time/);
    });
  });

  describe('what steps and triggers name in the organization', () => {
    it('takes an action, a sequence and a campaign of the organization', async () => {
      await expect(
        plan(
          request({
            trigger: { type: 'campaign_reply', campaign_id: campaignId, within_hours: 24 },
            steps: [
              { id: 'score', type: 'run_action', action_id: actionId },
              { id: 'sub', type: 'subscribe_sequence', sequence_id: sequenceId },
            ],
          }),
        ),
      ).resolves.toBeDefined();
    });

    it.each([
      [
        { id: 'act', type: 'run_action', action_id: 'missing' },
        "steps[0] (act): action_id: action 'missing' not found",
      ],
      [
        { id: 'sub', type: 'subscribe_sequence', sequence_id: 'missing' },
        "steps[0] (sub): sequence_id: sequence 'missing' not found",
      ],
      [
        { id: 'unsub', type: 'unsubscribe_sequence', sequence_id: 'missing' },
        "steps[0] (unsub): sequence_id: sequence 'missing' not found",
      ],
    ])('refuses a step naming nothing of the organization', async (step, message) => {
      expect(await refusal(steps(step))).toBe(message);
    });

    it('refuses a campaign or a store not in the organization', async () => {
      expect(
        await refusal(
          request({ trigger: { type: 'campaign_reply', campaign_id: 'missing', within_hours: 2 } }),
        ),
      ).toBe("trigger.campaign_id: campaign 'missing' not found");
      expect(
        await refusal(
          request({
            trigger: { type: 'order_status', statuses: ['processing'], store_id: 'missing' },
          }),
        ),
      ).toBe("trigger.store_id: store 'missing' not found");
    });

    it("refuses another organization's action", async () => {
      const other = await t.app.store.organizations.create('Other');
      const theirs = await t.app.store.actions.create(other._id, {
        name: 'theirs',
        description: null,
        code: 'x',
      });
      expect(await refusal(steps({ id: 'act', type: 'run_action', action_id: theirs._id }))).toBe(
        `steps[0] (act): action_id: action '${theirs._id}' not found`,
      );
    });
  });

  describe("Meta's limits on interactive messages", () => {
    const buttons = (...ids: [string, string][]) =>
      request({
        steps: [
          {
            id: 'menu',
            type: 'send_message',
            message: {
              type: 'interactive',
              interactive: {
                type: 'button',
                body: { text: 'Pick one' },
                action: {
                  buttons: ids.map(([id, title]) => ({ type: 'reply', reply: { id, title } })),
                },
              },
            },
          },
        ],
      });
    const list = (rows: [string, string][][]) =>
      request({
        steps: [
          {
            id: 'menu',
            type: 'send_message',
            message: {
              type: 'interactive',
              interactive: {
                type: 'list',
                body: { text: 'Pick one' },
                action: {
                  button: 'Options',
                  sections: rows.map((r, i) => ({
                    title: `Section ${i}`,
                    rows: r.map(([id, title]) => ({ id, title })),
                  })),
                },
              },
            },
          },
        ],
      });
    /** The interactive object of the first step, to break beyond what the API schema lets in. */
    const interactiveOf = (req: AutomationRequest) =>
      (req.steps[0] as { message: { interactive: { action: Record<string, unknown[]> } } }).message
        .interactive.action;

    it('refuses reply buttons with the same id', async () => {
      expect(await refusal(buttons(['yes', 'Yes'], ['yes', 'Sure']))).toBe(
        "steps[0] (menu): message.interactive: the button id 'yes' is used twice",
      );
    });

    it('refuses more than 3 buttons, and a title over 20 characters', async () => {
      const four = buttons(['a', 'A'], ['b', 'B'], ['c', 'C']);
      interactiveOf(four).buttons!.push({ type: 'reply', reply: { id: 'd', title: 'D' } });
      expect(await refusal(four)).toBe(
        'steps[0] (menu): message.interactive: 1 to 3 reply buttons, not 4',
      );
      const long = buttons(['a', 'A']);
      (interactiveOf(long).buttons![0] as { reply: { title: string } }).reply.title = 'x'.repeat(
        21,
      );
      expect(await refusal(long)).toBe(
        `steps[0] (menu): message.interactive: the button title '${'x'.repeat(21)}' is longer than 20 characters`,
      );
    });

    it('refuses list rows with the same id, and a row title over 24 characters', async () => {
      expect(await refusal(list([[['a', 'A']], [['a', 'Again']]]))).toBe(
        "steps[0] (menu): message.interactive: the row id 'a' is used twice",
      );
      const long = list([[['a', 'A']]]);
      (interactiveOf(long).sections![0] as { rows: { title: string }[] }).rows[0]!.title =
        'y'.repeat(25);
      expect(await refusal(long)).toMatch(
        /^steps\[0\] \(menu\): message\.interactive: the row title '.*' is longer than 24/,
      );
    });

    it('refuses more than 10 rows in all', async () => {
      const eleven = list([Array.from({ length: 10 }, (_, i): [string, string] => [`r${i}`, 'R'])]);
      (interactiveOf(eleven).sections![0] as { rows: unknown[] }).rows.push({
        id: 'r10',
        title: 'R',
      });
      expect(await refusal(eleven)).toBe(
        'steps[0] (menu): message.interactive: 1 to 10 list rows in all sections together, not 11',
      );
    });
  });

  describe('payment links', () => {
    const link = (extra: object) =>
      steps({
        id: 'pay',
        type: 'send_payment_link',
        amount: 49_900,
        currency: 'INR',
        description: 'Order',
        ...extra,
      });

    it('refuses a currency payments do not take, or one the gateway does not', async () => {
      expect(await refusal(link({ currency: 'XYZ' }))).toMatch(
        /^steps\[0\] \(pay\): currency: 'XYZ' is not supported; use one of INR/,
      );
      expect(await refusal(link({ currency: 'JPY', gateway: 'razorpay' }))).toBe(
        'steps[0] (pay): currency: Razorpay does not take JPY',
      );
    });

    it('refuses an amount that is no whole number of minor units', async () => {
      const req = link({});
      (req.steps[0] as { amount: number }).amount = 10.5;
      expect(await refusal(req)).toBe(
        'steps[0] (pay): amount: an integer number of minor units from 1 to 99999999',
      );
    });

    it('refuses an expiry outside 15 minutes to 48 hours', async () => {
      expect(await refusal(link({ expires_in: '3d' }))).toBe(
        'steps[0] (pay): expires_in: 15m to 48h, like 30m or 24h',
      );
      await expect(plan(link({ expires_in: '2h' }))).resolves.toBeDefined();
    });
  });

  describe('contact fields, tags and durations', () => {
    it('refuses a custom field key or a tag contacts could not hold', async () => {
      const req = steps({ id: 'f', type: 'set_fields', set: { plan: 'gold' } });
      (req.steps[0] as { set: Record<string, string> }).set = { $where: 'x' };
      expect(await refusal(req)).toBe(
        `steps[0] (f): set: custom_fields: the key "$where" must not contain '.' or start with '$'`,
      );
      const tags = steps({ id: 'tag', type: 'set_tags', add: ['vip'] });
      (tags.steps[0] as { add: string[] }).add = ['bad\u0000tag'];
      expect(await refusal(tags)).toBe(
        'steps[0] (tag): add: tags: must not contain a NUL character',
      );
    });

    it('refuses a reply saved into a key contacts could not hold', async () => {
      const req = steps({ id: 'ask', type: 'wait_for_reply', timeout: '1h', on_timeout: null });
      (req.steps[0] as { save_to: string }).save_to = 'a.b';
      expect(await refusal(req)).toMatch(/^steps\[0\] \(ask\): save_to: custom_fields: the key/);
    });

    it('refuses a malformed duration', async () => {
      expect(await refusal(steps({ id: 'd', type: 'delay', duration: '5 weeks' }))).toBe(
        'steps[0] (d): duration: a duration like 30s, 10m, 2h or 3d (at most 365d)',
      );
      expect(
        await refusal(steps({ id: 'w', type: 'wait_for_reply', timeout: '0m', on_timeout: null })),
      ).toBe('steps[0] (w): timeout: a duration like 30s, 10m, 2h or 3d (at most 365d)');
    });

    it('refuses a transfer to nobody', async () => {
      expect(await refusal(steps({ id: 'human', type: 'transfer' }))).toBe(
        'steps[0] (human): agent_id or team_id is required',
      );
    });
  });

  describe('conditions', () => {
    const cond = (c: object) => request({ conditions: [c] });

    it('takes the fields with the ops that fit them', async () => {
      await expect(
        plan(
          request({
            conditions: [
              { field: 'tags', op: 'contains', value: 'vip' },
              { field: 'opted_in', op: 'equals', value: true },
              { field: 'custom_fields.score', op: 'greater_than', value: 5 },
              { field: 'action.tier', op: 'equals', value: 'gold' },
              { field: 'message.button', op: 'exists' },
              {
                any: [
                  { field: 'stage', op: 'equals', value: 'Lead' },
                  {
                    hours: {
                      timezone: 'Asia/Kolkata',
                      days: ['mon'],
                      start: '09:00',
                      end: '18:00',
                    },
                    op: 'within',
                  },
                ],
              },
            ],
          }),
        ),
      ).resolves.toBeDefined();
    });

    it('refuses an unknown field', async () => {
      expect(await refusal(cond({ field: 'phone', op: 'equals', value: 'x' }))).toMatch(
        /^conditions\[0\]\.field: 'phone' is not a condition field; use tags, stage/,
      );
      expect(await refusal(cond({ field: 'custom_fields.a.b', op: 'exists' }))).toMatch(
        /^conditions\[0\]\.field: 'custom_fields\.a\.b' is not a condition field/,
      );
    });

    it('refuses an op that does not fit the field, or a value that does not fit the op', async () => {
      expect(await refusal(cond({ field: 'tags', op: 'greater_than', value: 3 }))).toBe(
        'conditions[0].op: tags takes contains, not_contains, exists or not_exists, not greater_than',
      );
      expect(await refusal(cond({ field: 'opted_in', op: 'equals', value: 'yes' }))).toBe(
        'conditions[0].value: opted_in compares with true or false',
      );
      expect(
        await refusal(cond({ field: 'custom_fields.score', op: 'less_than', value: 'ten' })),
      ).toBe('conditions[0].value: less_than compares with a number');
    });

    it("names a condition step's condition by the step", async () => {
      expect(
        await refusal(
          steps({
            id: 'check',
            type: 'condition',
            conditions: [{ any: [{ field: 'message.type', op: 'contains', value: 'x' }] }],
            then: null,
            else: null,
          }),
        ),
      ).toBe(
        'steps[0] (check): conditions[0].any[0].op: message.type takes equals, not_equals, ' +
          'exists or not_exists, not contains',
      );
    });
  });
});

import { allHold } from '../../automations/conditions';
import { StepFailure, type StepEffects } from '../../automations/effects';
import { newRun } from '../../automations/engine';
import { advance, type Advanced } from '../../automations/executor';
import { inputsOf, type RouteInput } from '../../automations/inputs';
import { replyFits, triggerFits } from '../../automations/match';
import type { AutomationDoc, AutomationStep, InboundFacts } from '../../store/contract/automations';
import type { ContactDoc } from '../../store/documents';
import { eventDoc } from '../../store/events';

/**
 * The step runner's flow (branches, waits, failures) and the pure rules it reads (triggers,
 * replies, conditions). Effects are recorded rather than done: what each one does is
 * test/automations/effects.test.ts's.
 */

const at = new Date('2026-12-07T10:00:00Z'); // a Monday, 10:00 UTC
const contact: ContactDoc = {
  _id: 'c1',
  org_id: 'o1',
  phone_number: '+15550001',
  user_id: null,
  parent_user_id: null,
  username: null,
  name: 'Ana',
  email: null,
  tags: ['vip'],
  stage: 'lead',
  custom_fields: { plan: 'pro', visits: '12' },
  opted_in: true,
  last_inbound_at: at,
  source: 'whatsapp_webhook',
  created_at: at,
  updated_at: at,
};

const facts = (over: Partial<InboundFacts> = {}): InboundFacts => ({
  message_id: 'in:w1',
  type: 'text',
  text: 'hello',
  button: null,
  list_reply: null,
  at,
  ...over,
});

const input = (message = facts()): RouteInput => ({
  id: 'message.incoming:w1',
  orgId: 'o1',
  contactId: 'c1',
  at,
  kind: 'message',
  message,
});

function automation(steps: AutomationStep[]): AutomationDoc {
  return {
    _id: 'a1',
    org_id: 'o1',
    name: 'test',
    enabled: true,
    version: 1,
    account_id: 'acc',
    trigger: { type: 'any_message' },
    conditions: [],
    priority: 0,
    steps,
    created_at: at,
    updated_at: at,
  };
}

/** Effects that record the steps they were asked to do; `fail` names steps that cannot be done. */
function recorder(fail = new Set<string>()) {
  const done: string[] = [];
  const effects: StepEffects = {
    run(_scope, step) {
      if (fail.has(step.id)) return Promise.reject(new StepFailure(`${step.id} failed`));
      done.push(step.id);
      return Promise.resolve(
        step.type === 'run_action'
          ? { outcome: 'ran', detail: null, values: { tier: 'gold' } }
          : { outcome: 'done', detail: null },
      );
    },
  };
  return { effects, done };
}

const send = (id: string, next?: string | null): AutomationStep => ({
  id,
  type: 'send_message',
  message: { type: 'text', text: id },
  fallback: null,
  ...(next === undefined ? {} : { next }),
});

async function start(a: AutomationDoc, effects: StepEffects): Promise<Advanced> {
  return advance(effects, a, { run: newRun(a, input(), at), contact }, { kind: 'start' }, at);
}

describe('the step runner', () => {
  it('runs steps in order and follows next, ending at null', async () => {
    const a = automation([send('a', 'c'), send('b'), send('c', null), send('d')]);
    const { effects, done } = recorder();
    const { run } = await start(a, effects);
    expect(done).toEqual(['a', 'c']);
    expect(run).toMatchObject({ state: 'completed', step: null, active_key: run._id });
  });

  it('waits at a wait_for_reply, then takes the branch the reply fits', async () => {
    const a = automation([
      send('ask'),
      {
        id: 'w',
        type: 'wait_for_reply',
        timeout: '1h',
        timeout_ms: 3_600_000,
        branches: [
          { match: { button: 'yes' }, next: 'yes' },
          { match: { keywords: ['no', 'nope'] }, next: 'no' },
          { match: { pattern: '^maybe', ignore_case: true }, next: 'maybe' },
        ],
        otherwise: 'other',
        on_timeout: 'late',
        save_to: null,
      },
      send('yes', null),
      send('no', null),
      send('maybe', null),
      send('other', null),
      send('late', null),
    ]);
    const { effects } = recorder();
    const waiting = await start(a, effects);
    expect(waiting.run).toMatchObject({ state: 'waiting', step: 'w', seq: 1 });
    expect(waiting.run.wait).toMatchObject({ kind: 'reply', step: 'w', seq: 1 });
    expect(waiting.run.wait!.until.getTime() - at.getTime()).toBe(3_600_000);

    const cases: [Partial<InboundFacts> | 'timeout', string][] = [
      [{ button: 'yes', type: 'button' }, 'yes'],
      [{ list_reply: 'yes', type: 'interactive' }, 'yes'],
      [{ text: ' NOPE ' }, 'no'],
      [{ text: 'Maybe later' }, 'maybe'],
      [{ text: 'what?' }, 'other'],
      ['timeout', 'late'],
    ];
    for (const [reply, branch] of cases) {
      const rec = recorder();
      const next = await advance(
        rec.effects,
        a,
        waiting,
        reply === 'timeout' ? { kind: 'timeout' } : { kind: 'reply', message: facts(reply) },
        at,
      );
      expect(rec.done).toEqual([branch]);
      expect(next.run.state).toBe('completed');
    }
  });

  it('fails the run with the reason of a step that cannot be done', async () => {
    const a = automation([send('a'), send('b'), send('c')]);
    const { effects, done } = recorder(new Set(['b']));
    const { run } = await start(a, effects);
    expect(done).toEqual(['a']);
    expect(run).toMatchObject({ state: 'failed', end_reason: 'b failed' });
    expect(run.path.at(-1)).toMatchObject({ step: 'b', outcome: 'failed' });
  });

  it('lets conditions read what an action returned', async () => {
    const a = automation([
      { id: 'act', type: 'run_action', action_id: 'x', input: null },
      {
        id: 'if',
        type: 'condition',
        conditions: [{ field: 'action.tier', op: 'equals', value: 'GOLD' }],
        then: 'gold',
        else: null,
      },
      send('gold'),
    ]);
    const { effects, done } = recorder();
    const { run } = await start(a, effects);
    expect(done).toEqual(['act', 'gold']);
    expect(run.context.action).toEqual({ tier: 'gold' });
  });
});

describe('triggers and replies', () => {
  const none = () => Promise.resolve(null);

  it('matches keywords whole, any case, and patterns on the linear engine', async () => {
    const kw = { type: 'keyword' as const, keywords: ['Where is my order'] };
    expect(await triggerFits(kw, input(facts({ text: 'where  is my ORDER ' })), none)).toBe(true);
    expect(await triggerFits(kw, input(facts({ text: 'where is my order?' })), none)).toBe(false);
    const slow = { type: 'pattern' as const, pattern: '^(a+)+$', ignore_case: false };
    expect(await triggerFits(slow, input(facts({ text: `${'a'.repeat(5000)}b` })), none)).toBe(
      false,
    );
  });

  it('matches buttons and list rows by id, any when none are named', async () => {
    const tap = input(facts({ type: 'button', button: 'ORDER_STATUS', text: 'Track' }));
    expect(await triggerFits({ type: 'button', payloads: [] }, tap, none)).toBe(true);
    expect(await triggerFits({ type: 'button', payloads: ['OTHER'] }, tap, none)).toBe(false);
    expect(await triggerFits({ type: 'list_reply', ids: [] }, tap, none)).toBe(false);
    expect(
      replyFits({ button: 'ORDER_STATUS' }, tap.kind === 'message' ? tap.message : facts()),
    ).toBe(true);
  });

  it('matches a reply to a campaign only within its hours', async () => {
    const trigger = { type: 'campaign_reply' as const, campaign_id: 'k1', within_hours: 24 };
    const sent = (hoursAgo: number) => () =>
      Promise.resolve(new Date(at.getTime() - hoursAgo * 3_600_000));
    expect(await triggerFits(trigger, input(), sent(23))).toBe(true);
    expect(await triggerFits(trigger, input(), sent(25))).toBe(false);
    expect(await triggerFits(trigger, input(), none)).toBe(false);
  });

  it('reads events as inputs: opt-out words, tags added, payment outcomes', () => {
    const ev = (type: string, data: Record<string, unknown>) =>
      eventDoc('o1', { id: `${type}:1`, type, timestamp: at, data });
    const inputs = inputsOf(
      [
        ev('message.incoming', { message_id: 'w', contact_id: 'c1', type: 'text', text: 'Stop' }),
        ev('message.incoming', { message_id: 'w2', contact_id: 'c1', type: 'system', text: null }),
        ev('contact.updated', { id: 'c1', changes: ['tags'], tags_added: ['gold'] }),
        ev('contact.updated', { id: 'c1', changes: ['opted_in'], opted_in: false }),
        ev('payment_link.paid', { id: 'p', contact_id: 'c1' }),
        ev('message.sent', { id: 'm' }),
      ],
      ['STOP'],
    );
    expect(inputs.map((i) => i.kind)).toEqual([
      'opted_out',
      'tags_added',
      'opted_out',
      'payment_link',
    ]);
  });
});

describe('conditions', () => {
  const scope = { contact, action: { score: '7' }, message: facts({ text: 'I want PRO' }) };
  it.each([
    [{ field: 'tags', op: 'contains', value: 'VIP' }, true],
    [{ field: 'tags', op: 'not_contains', value: 'vip' }, false],
    [{ field: 'stage', op: 'equals', value: 'Lead' }, true],
    [{ field: 'custom_fields.visits', op: 'greater_than', value: 10 }, true],
    [{ field: 'custom_fields.missing', op: 'exists', value: null }, false],
    [{ field: 'opted_in', op: 'equals', value: true }, true],
    [{ field: 'message.text', op: 'contains', value: 'pro' }, true],
    [{ field: 'message.text', op: 'matches', value: 'want (pro|basic)' }, true],
    [{ field: 'action.score', op: 'less_than', value: 5 }, false],
    [
      {
        any: [
          { field: 'stage', op: 'equals', value: 'x' },
          { field: 'name', op: 'equals', value: 'ana' },
        ],
      },
      true,
    ],
  ] as const)('%j holds: %s', (condition, expected) => {
    expect(allHold([condition as never], scope, at)).toBe(expected);
  });

  it('holds business hours in the contact’s own timezone when it has one', () => {
    const hours = {
      hours: { timezone: 'UTC', days: ['mon' as const], start: '09:00', end: '17:00' },
      op: 'within' as const,
    };
    expect(allHold([hours], scope, at)).toBe(true);
    const tokyo = { ...contact, custom_fields: { timezone: 'Asia/Tokyo' } };
    // 10:00 UTC is 19:00 in Tokyo.
    expect(allHold([hours], { ...scope, contact: tokyo }, at)).toBe(false);
    expect(allHold([{ ...hours, op: 'outside' }], { ...scope, contact: tokyo }, at)).toBe(true);
  });
});

import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { automationActivities } from '../../activities/automations';
import { automationEngine, type AutomationEngine } from '../../automations/engine';
import { factsOf, inputsOf, type RouteInput } from '../../automations/inputs';
import { createStepEffects } from '../../automations/step-effects';
import { sweepAutomations } from '../../automations/sweep';
import { temporalTimers } from '../../automations/timers';
import { eventDoc } from '../../store/events';
import type { Store } from '../../store/contract';
import type {
  AutomationDoc,
  AutomationStep,
  NewAutomation,
} from '../../store/contract/automations';
import type { ContactDoc } from '../../store/documents';
import { automationWorkflowId } from '../../workflows/contracts/automation';
import { openTestStore, STORE_KINDS, type TestStore } from '../support/store';
import { createTimeSkippingEnv } from '../support/time-skipping';
import { createSandbox } from '../../vm';
import { testWorkflowBundle } from '../support/workflow-bundle';

/**
 * Automations on the time-skipping server with their real activities and effects on a real
 * store: an hour's wait for a reply passes in moments. Inputs are the events the inbox records
 * for customer messages, so routing sees what it sees in production.
 */
jest.setTimeout(60_000);

const HOUR = 3_600_000;
const quiet = { warn() {}, error() {} };
const sandbox = createSandbox({ isolation: 'inline' });
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await createTimeSkippingEnv();
}, 120_000);

afterAll(async () => {
  await env?.teardown();
  await sandbox.close();
});

/**
 * The test server's clock runs ahead of this process's once it has skipped time: routing reads
 * the server's, so a wait's end is in the same time as the timer that ends it.
 */
let offset = 0;
const clock = () => new Date(Date.now() + offset);
const sync = async () => {
  offset = (await env.currentTimeMs()) - Date.now();
};

describe.each(STORE_KINDS)('%s', (kind) => {
  const taskQueue = `automations-${kind}-${randomUUID().slice(0, 8)}`;
  let t: TestStore;
  let store: Store;
  let engine: AutomationEngine;
  let worker: Worker;
  let running: Promise<void>;
  let orgId: string;

  beforeAll(async () => {
    t = await openTestStore(kind);
    store = t.store;
    engine = automationEngine({
      clock,
      store,
      effects: createStepEffects({
        store,
        signals: t.handle.signals,
        sandbox,
        temporal: env.client,
        meta: { markRead: () => Promise.resolve() },
        config: { temporal: { ...t.config.temporal, taskQueue } },
        log: quiet,
      }),
      timers: temporalTimers(() => env.client, taskQueue),
      log: quiet,
    });
    worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: testWorkflowBundle(),
      activities: automationActivities({ store, config: t.config, automations: engine }),
    });
    running = worker.run();
    orgId = (await store.organizations.create('Acme'))._id;
  }, 120_000);

  afterAll(async () => {
    if (worker) {
      worker.shutdown();
      await running;
    }
    await t?.handle.close();
  });

  let n = 0;
  const contact = () =>
    store.contacts.create(orgId, {
      phone_number: `+1555700${String(++n).padStart(4, '0')}`,
      name: `Customer ${n}`,
      opted_in: true,
    });

  const text = (body: string) => ({ type: 'text' as const, text: body });

  async function automation(over: Partial<NewAutomation> & { steps: AutomationStep[] }) {
    const a = await store.automations.create(orgId, {
      name: 'Replies',
      enabled: true,
      account_id: 'acc-1',
      trigger: { type: 'keyword', keywords: ['menu'] },
      conditions: [],
      priority: 0,
      ...over,
    });
    engine.forget(orgId);
    return a;
  }

  /** A customer message as the inbox records it: its event, and the input routing reads. */
  let w = 0;
  async function says(c: ContactDoc, body: string, extra: Record<string, unknown> = {}) {
    const wamid = `wamid.auto${++w}`;
    await sync();
    // As the inbox does: the contact's window opens, then the message's event is recorded.
    await store.contacts.recordInbound(
      orgId,
      { phone: c.phone_number, userId: null },
      { at: clock() },
    );
    const event = eventDoc(orgId, {
      id: `message.incoming:${wamid}`,
      type: 'message.incoming',
      timestamp: clock(),
      data: {
        message_id: wamid,
        contact_id: c._id,
        type: 'text',
        text: body,
        content: { body },
        ...extra,
      },
    });
    await store.events.recordMany([event]);
    return event;
  }

  const route = async (...events: Awaited<ReturnType<typeof says>>[]) => {
    await engine.route(inputsOf(events, ['STOP']));
    // Timers are armed beside routing.
    await engine.idle();
  };

  /** What the contact's runs queued for it (sent at the server's time, maybe ahead of ours). */
  async function bodies(c: ContactDoc): Promise<string[]> {
    const runs = await store.automationRuns.listForContact(orgId, c._id, { limit: 50 });
    const ids = runs.flatMap((r) =>
      r.path.map((p) =>
        p.type === 'send_message' ? (p.detail?.message_id as string | undefined) : undefined,
      ),
    );
    const messages = await Promise.all(
      ids.filter((id) => id !== undefined).map((id) => store.messages.get(orgId, id)),
    );
    return messages.map((m) => (m!.content as { body: string }).body).sort();
  }

  const runsOf = async (a: AutomationDoc) => store.automationRuns.list(a._id, { limit: 50 });

  async function timerDone(a: AutomationDoc, c: ContactDoc) {
    await env.client.workflow.getHandle(automationWorkflowId(a._id, c._id)).result();
  }

  it('answers a keyword at once, with no workflow, and records the run and its event', async () => {
    const a = await automation({
      trigger: { type: 'keyword', keywords: ['hours'] },
      steps: [
        {
          id: 'answer',
          type: 'send_message',
          message: text('We open at 9, {{name}}'),
          fallback: null,
        },
      ],
    });
    const c = await contact();
    await route(await says(c, '  HOURS '));
    expect(await bodies(c)).toEqual([`We open at 9, ${c.name}`]);
    const [run] = await runsOf(a);
    expect(run).toMatchObject({ state: 'completed', contact_id: c._id });
    expect(run!.path.map((p) => [p.step, p.outcome])).toEqual([['answer', 'sent']]);
    const events = await store.events.list(orgId, { type: 'automation.completed' });
    expect(events.map((e) => e.data.run_id)).toContain(run!._id);
    await expect(
      env.client.workflow.getHandle(automationWorkflowId(a._id, c._id)).describe(),
    ).rejects.toThrow();
  });

  it('branches on the button a reply taps, and its timer then lets the run be', async () => {
    const a = await automation({
      trigger: { type: 'keyword', keywords: ['support'] },
      steps: [
        { id: 'ask', type: 'send_message', message: text('Sales or help?'), fallback: null },
        {
          id: 'choice',
          type: 'wait_for_reply',
          timeout: '1h',
          timeout_ms: HOUR,
          branches: [
            { match: { button: 'sales' }, next: 'to_sales' },
            { match: { keywords: ['help'] }, next: 'to_help' },
          ],
          otherwise: 'unclear',
          on_timeout: 'gone',
          save_to: null,
        },
        {
          id: 'to_sales',
          type: 'send_message',
          message: text('Sales it is'),
          fallback: null,
          next: null,
        },
        {
          id: 'to_help',
          type: 'send_message',
          message: text('Help is coming'),
          fallback: null,
          next: null,
        },
        {
          id: 'unclear',
          type: 'send_message',
          message: text('Sorry?'),
          fallback: null,
          next: null,
        },
        {
          id: 'gone',
          type: 'send_message',
          message: text('Bye for now'),
          fallback: null,
          next: null,
        },
      ],
    });
    const c = await contact();
    await route(await says(c, 'support'));
    const [waiting] = await runsOf(a);
    expect(waiting).toMatchObject({ state: 'waiting', step: 'choice' });
    await route(
      await says(c, 'Sales', {
        type: 'interactive',
        content: { type: 'button_reply', button_reply: { id: 'sales', title: 'Sales' } },
      }),
    );
    expect(await bodies(c)).toEqual(['Sales it is', 'Sales or help?']);
    // The hour passes: the timer finds the wait answered and sends nothing.
    await timerDone(a, c);
    expect(await bodies(c)).toEqual(['Sales it is', 'Sales or help?']);
    const [run] = await runsOf(a);
    expect(run!.state).toBe('completed');
    expect(run!.path.map((p) => p.outcome)).toEqual(['sent', 'waiting', 'reply', 'sent']);
  });

  it('takes the timeout branch when no reply comes, at the workflow’s time', async () => {
    const a = await automation({
      trigger: { type: 'keyword', keywords: ['quote'] },
      steps: [
        {
          id: 'wait',
          type: 'wait_for_reply',
          timeout: '2h',
          timeout_ms: 2 * HOUR,
          branches: [],
          on_timeout: 'nudge',
          save_to: null,
        },
        { id: 'nudge', type: 'send_message', message: text('Still there?'), fallback: null },
      ],
    });
    const c = await contact();
    await sync();
    const started = clock().getTime();
    await route(await says(c, 'quote'));
    await timerDone(a, c);
    expect(await bodies(c)).toEqual(['Still there?']);
    const [run] = await runsOf(a);
    expect(run!.path.map((p) => p.outcome)).toEqual(['waiting', 'timeout', 'sent']);
    expect(run!.path[1]!.at.getTime() - started).toBeGreaterThanOrEqual(2 * HOUR);
  });

  it('saves a reply into the contact (an input flow) and goes on after a delay', async () => {
    const a = await automation({
      trigger: { type: 'keyword', keywords: ['signup'] },
      steps: [
        { id: 'ask', type: 'send_message', message: text('Your email?'), fallback: null },
        {
          id: 'email',
          type: 'wait_for_reply',
          timeout: '1d',
          timeout_ms: 24 * HOUR,
          branches: [],
          on_timeout: null,
          save_to: 'email',
        },
        { id: 'pause', type: 'delay', duration: '30m', duration_ms: HOUR / 2 },
        {
          id: 'thanks',
          type: 'send_message',
          message: text('Thanks, {{email}} ({{message.text}})'),
          fallback: null,
        },
      ],
    });
    const c = await contact();
    await route(await says(c, 'signup'));
    await route(await says(c, 'ana@example.com'));
    expect((await store.contacts.get(orgId, c._id))!.email).toBe('ana@example.com');
    await timerDone(a, c);
    expect(await bodies(c)).toEqual(['Thanks, ana@example.com (ana@example.com)', 'Your email?']);
  });

  it('branches on what a custom action returns', async () => {
    const action = await store.actions.create(orgId, {
      name: 'tier',
      code: 'return { tier: contact.name.endsWith("1") ? "gold" : "basic" };',
      description: null,
    });
    await automation({
      trigger: { type: 'keyword', keywords: ['status'] },
      steps: [
        { id: 'look', type: 'run_action', action_id: action._id, input: null },
        {
          id: 'gold?',
          type: 'condition',
          conditions: [{ field: 'action.tier', op: 'equals', value: 'gold' }],
          then: 'gold',
          else: 'basic',
        },
        {
          id: 'gold',
          type: 'send_message',
          message: text('Gold: {{action.tier}}'),
          fallback: null,
          next: null,
        },
        {
          id: 'basic',
          type: 'send_message',
          message: text('Basic: {{action.tier}}'),
          fallback: null,
          next: null,
        },
      ],
    });
    const c = await contact();
    await route(await says(c, 'status'));
    const expected = c.name!.endsWith('1') ? 'Gold: gold' : 'Basic: basic';
    expect(await bodies(c)).toEqual([expected]);
  });

  it('starts only the highest-priority match, once per input however often it is routed', async () => {
    const low = await automation({
      priority: 1,
      trigger: { type: 'any_message' },
      steps: [{ id: 'low', type: 'send_message', message: text('low'), fallback: null }],
    });
    const high = await automation({
      priority: 5,
      trigger: { type: 'keyword', keywords: ['deal'] },
      steps: [{ id: 'high', type: 'send_message', message: text('high'), fallback: null }],
    });
    const c = await contact();
    const e = await says(c, 'deal');
    await route(e);
    await route(e);
    await Promise.all([route(e), route(e)]);
    expect(await bodies(c)).toEqual(['high']);
    expect(await runsOf(low)).toHaveLength(0);
    expect(await runsOf(high)).toHaveLength(1);
    const decided = await store.automationInputs.get(e._id);
    expect(decided).toMatchObject({ state: 'done', decision: { kind: 'start' } });
    await store.automations.delete(orgId, low._id);
    await store.automations.delete(orgId, high._id);
    engine.forget(orgId);
  });

  it('gives a reply to the waiting run before any trigger, and STOP ends every run', async () => {
    const waits = await automation({
      trigger: { type: 'keyword', keywords: ['book'] },
      steps: [
        {
          id: 'w',
          type: 'wait_for_reply',
          timeout: '1h',
          timeout_ms: HOUR,
          branches: [],
          on_timeout: null,
          save_to: 'day',
        },
        {
          id: 'ok',
          type: 'send_message',
          message: text('Booked {{custom_fields.day}}'),
          fallback: null,
        },
        {
          id: 'w2',
          type: 'wait_for_reply',
          timeout: '1h',
          timeout_ms: HOUR,
          branches: [],
          on_timeout: null,
          save_to: null,
        },
        { id: 'never', type: 'send_message', message: text('never'), fallback: null },
      ],
    });
    const greeter = await automation({
      priority: -1,
      trigger: { type: 'any_message' },
      steps: [{ id: 'hi', type: 'send_message', message: text('hi'), fallback: null }],
    });
    const c = await contact();
    await route(await says(c, 'book'));
    // Waiting: the reply goes to the run, not to the any-message automation.
    await route(await says(c, 'monday'));
    expect(await bodies(c)).toEqual(['Booked monday']);
    await route(await says(c, 'stop'));
    const [run] = await runsOf(waits);
    expect(run).toMatchObject({ state: 'cancelled', end_reason: 'opted out' });
    await timerDone(waits, c);
    expect(await bodies(c)).toEqual(['Booked monday']);
    await store.automations.delete(orgId, greeter._id);
    engine.forget(orgId);
  });

  it('carries out a decision its process recorded but never finished, once', async () => {
    const a = await automation({
      trigger: { type: 'keyword', keywords: ['late'] },
      steps: [{ id: 'x', type: 'send_message', message: text('on it'), fallback: null }],
    });
    const c = await contact();
    const e = await says(c, 'late');
    const [input] = inputsOf([e], []) as [RouteInput];
    // A process that decided, then died before carrying it out.
    await store.automationInputs.decide([
      {
        _id: e._id,
        org_id: orgId,
        contact_id: c._id,
        decision: { kind: 'start', automation_id: a._id, version: a.version, run_id: 'r' },
        state: 'decided',
        created_at: new Date(clock().getTime() - 5 * 60_000),
        done_at: null,
      },
    ]);
    expect(factsOf(e).text).toBe('late');
    const later = new Date(clock().getTime() + 2 * 60_000);
    const swept = await sweepAutomations({ store, engine, optOutWords: [] }, later);
    expect(swept.resumed).toBe(1);
    await sweepAutomations({ store, engine, optOutWords: [] }, later);
    await engine.route([input]);
    expect(await bodies(c)).toEqual(['on it']);
    expect(await store.automationInputs.get(e._id)).toMatchObject({ state: 'done' });
  });

  it('finishes a timeout the sweep carried out halfway when its process died, once', async () => {
    const a = await automation({
      trigger: { type: 'keyword', keywords: ['halfway'] },
      steps: [
        {
          id: 'w',
          type: 'wait_for_reply',
          timeout: '1h',
          timeout_ms: HOUR,
          branches: [],
          on_timeout: 'late',
          save_to: null,
        },
        { id: 'late', type: 'send_message', message: text('too late'), fallback: null },
      ],
    });
    const c = await contact();
    await route(await says(c, 'halfway'));
    const [waiting] = await runsOf(a);
    // The sweep took the wait for its timeout, then its process died before the next step.
    const claimed = await store.automationRuns.claim(waiting!._id, 1, 'timeout:1', clock());
    expect(claimed).toMatchObject({ state: 'running', last_input: 'timeout:1' });
    const later = new Date(clock().getTime() + 2 * HOUR);
    const swept = await sweepAutomations({ store, engine, optOutWords: [] }, later);
    await sweepAutomations({ store, engine, optOutWords: [] }, later);
    expect(swept.timedOut).toBe(1);
    expect(await bodies(c)).toEqual(['too late']);
    const [run] = await runsOf(a);
    expect(run!.path.map((p) => p.outcome)).toEqual(['waiting', 'timeout', 'sent']);
    await timerDone(a, c);
    expect(await bodies(c)).toEqual(['too late']);
  });
});

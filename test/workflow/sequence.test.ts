import { randomUUID } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { sequenceActivities } from '../../activities/sequences';
import { sequenceTriggers } from '../../sequences/inbound-triggers';
import { watchContactChanges } from '../../sequences/contact-changes';
import { SubscriptionStarter } from '../../sequences/starter';
import type { ContactInput } from '../../store/contact-fields';
import type { Store } from '../../store/contract';
import type { ContactDoc, MessageDoc } from '../../store/documents';
import type { NewSequence, SequenceDoc } from '../../store/contract/sequences';
import { type SequenceOutcome, sequenceWorkflowId } from '../../workflows/contracts/sequence';
import { sequenceInput, step, textStep } from '../support/sequences';
import { openTestStore, type StoreKind, type TestStore } from '../support/store';
import { createTimeSkippingEnv } from '../support/time-skipping';
import { createSandbox } from '../../vm';
import { testWorkflowBundle } from '../support/workflow-bundle';

/**
 * Subscriptions' workflows on the time-skipping server with their real activities on a real
 * store: days of delays pass in moments, and every message they queue is stored with the
 * workflow's time, so when it went out is read back from the store.
 */
jest.setTimeout(45_000);

const DAY = 86_400_000;
const taskQueue = `sequence-workflow-${randomUUID().slice(0, 8)}`;
const kind = (process.env.WAFLOW_TEST_STORE ?? 'postgres') as StoreKind;

let env: TestWorkflowEnvironment;
let t: TestStore;
let store: Store;
let worker: Worker;
let running: Promise<void>;
let starter: SubscriptionStarter;
let orgId: string;
const quiet = { warn() {} };
const sandbox = createSandbox({ isolation: 'inline' });

beforeAll(async () => {
  [env, t] = await Promise.all([createTimeSkippingEnv(), openTestStore(kind)]);
  store = t.store;
  const config = { ...t.config, temporal: { ...t.config.temporal, taskQueue } };
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: testWorkflowBundle(),
    activities: sequenceActivities({ store, signals: t.handle.signals, config, sandbox }),
  });
  running = worker.run();
  starter = new SubscriptionStarter({
    store,
    client: () => env.client,
    taskQueue,
    concurrency: 4,
    log: quiet,
  });
  orgId = (await store.organizations.create('Acme'))._id;
}, 120_000);

afterAll(async () => {
  await starter?.close();
  if (worker) {
    worker.shutdown();
    await running;
  }
  await env?.teardown();
  await t?.handle.close();
  await sandbox.close();
});

let n = 0;
const contact = (over: Partial<ContactInput> = {}) =>
  store.contacts.create(orgId, {
    phone_number: `+1555800${String(++n).padStart(4, '0')}`,
    name: `Customer ${n}`,
    opted_in: true,
    ...over,
  });

const sequence = (over: Partial<NewSequence> = {}) =>
  store.sequences.create(orgId, sequenceInput(over));

/** Subscribes and starts the workflows, as the API does. */
async function subscribe(seq: SequenceDoc, ...contacts: ContactDoc[]) {
  // Subscribed at the test server's time, which runs ahead of the wall clock once it skipped.
  const results = await store.sequenceSubscriptions.subscribe(
    seq,
    contacts.map((c) => c._id),
    'api',
    new Date(await env.currentTimeMs()),
  );
  await starter.drain();
  return results;
}

const handle = (seq: SequenceDoc, c: ContactDoc) =>
  env.client.workflow.getHandle(sequenceWorkflowId(seq._id, c._id));

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A closed run's result, read off its history: awaiting `result()` would let the server skip
 * time meanwhile, up to the next timer of any workflow, however far.
 */
async function outcome(seq: SequenceDoc, c: ContactDoc): Promise<SequenceOutcome> {
  const { events } = await handle(seq, c).fetchHistory();
  const done = events?.at(-1)?.workflowExecutionCompletedEventAttributes;
  if (!done?.result?.payloads?.[0]) throw new Error('the run did not complete');
  return defaultPayloadConverter.fromPayload<SequenceOutcome>(done.result.payloads[0]);
}

/**
 * Runs subscriptions to their end, moving the test server's clock by hand: straight to the
 * next step due, then holding it until every due step has run (left to skip on its own while
 * a result is awaited, the server can jump past an activity's timeout while it runs).
 */
async function results(...runs: [SequenceDoc, ContactDoc][]): Promise<SequenceOutcome[]> {
  for (;;) {
    const now = await env.currentTimeMs();
    let next = Infinity;
    let busy = false;
    let open = 0;
    for (const [seq, c] of runs) {
      if ((await handle(seq, c).describe()).status.name !== 'RUNNING') continue;
      open++;
      const sub = await store.sequenceSubscriptions.get(seq._id, c._id);
      const at = sub?.state === 'active' ? sub.next_step_at?.getTime() : undefined;
      if (at === undefined || at <= now) busy = true;
      else next = Math.min(next, at);
    }
    if (!open) return Promise.all(runs.map(([seq, c]) => outcome(seq, c)));
    if (busy) await pause(50);
    else await env.sleep(next - now + 1);
  }
}

const result = async (seq: SequenceDoc, c: ContactDoc) => (await results([seq, c]))[0]!;

/** Until the run sleeps for its next step: nothing moves the test server's clock then. */
async function untilSleeping(seq: SequenceDoc, c: ContactDoc, timers = 1) {
  for (;;) {
    const { events } = await handle(seq, c).fetchHistory();
    if ((events ?? []).filter((e) => e.timerStartedEventAttributes).length >= timers) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The contact's outbound messages of this sequence, oldest first. */
async function sent(seq: SequenceDoc, c: ContactDoc): Promise<MessageDoc[]> {
  const all = await store.messages.history(orgId, c._id, { limit: 100 });
  return all
    .filter((m) => m.origin === 'sequence' && m.origin_id === seq._id)
    .sort((a, b) => a.created_at.getTime() - b.created_at.getTime());
}

const templateName = (m: MessageDoc) => (m.content as { name?: string }).name;
const local = (at: Date, timeZone: string) =>
  at.toLocaleString('en-GB', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit' });

it('runs a 7-day, 5-step sequence: each step at its delay, then sequence.completed', async () => {
  const seq = await sequence({
    steps: [step('0m'), step('1d'), step('2d'), step('2d'), step('2d')],
  });
  const c = await contact();
  await subscribe(seq, c);
  const subscribedAt = (await store.sequenceSubscriptions.get(seq._id, c._id))!.subscribed_at;
  expect(await result(seq, c)).toEqual({ state: 'completed', reason: null });

  const messages = await sent(seq, c);
  const days = messages.map((m) => (m.created_at.getTime() - subscribedAt.getTime()) / DAY);
  expect(days.map((d) => Math.round(d * 100) / 100)).toEqual([0, 1, 3, 5, 7]);
  expect(messages.every((m) => m.type === 'template' && m.status === 'queued')).toBe(true);

  const sub = await store.sequenceSubscriptions.get(seq._id, c._id);
  expect(sub).toMatchObject({ state: 'completed', step: 5, next_step_at: null });
  expect(sub!.history.map((h) => h.outcome)).toEqual(Array(5).fill('queued'));
  const [event] = await store.events.list(orgId, { type: 'sequence.completed' });
  expect(event?.data).toMatchObject({ sequence_id: seq._id, contact_id: c._id, sent: 5, run: 1 });
  // Cheap while it waits: a few events per step, nothing between them.
  const { events } = await handle(seq, c).fetchHistory();
  expect(events!.length).toBeLessThan(5 * 12);
});

it('waits for the allowed hours in the schedule zone, or in the contact own zone', async () => {
  const schedule = {
    timezone: 'Asia/Kolkata',
    days: ['mon', 'tue', 'wed', 'thu', 'fri'] as const,
    start: '09:00',
    end: '11:00',
  };
  const seq = await sequence({
    schedule: { ...schedule, days: [...schedule.days] },
    steps: [step('0m'), step('13h'), step('1d')],
  });
  const india = await contact();
  const newYork = await contact({ custom_fields: { timezone: 'America/New_York' } });
  await subscribe(seq, india, newYork);
  await results([seq, india], [seq, newYork]);

  for (const [c, zone] of [
    [india, 'Asia/Kolkata'],
    [newYork, 'America/New_York'],
  ] as const) {
    const messages = await sent(seq, c);
    expect(messages).toHaveLength(3);
    for (const m of messages) {
      const [day, time] = local(m.created_at, zone).split(' ');
      expect(['Mon', 'Tue', 'Wed', 'Thu', 'Fri']).toContain(day);
      expect(time! >= '09:00' && time! < '11:00').toBe(true);
    }
    // 13 hours after a send inside a 2-hour window is outside it: the next morning's opening.
    expect(local(messages[1]!.created_at, zone).split(' ')[1]).toBe('09:00');
  }
});

it('keeps local hours across a DST change', async () => {
  const zone = 'Europe/Berlin';
  const offset = (ms: number) =>
    new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'shortOffset' })
      .formatToParts(new Date(ms))
      .find((p) => p.type === 'timeZoneName')!.value;
  const now = await env.currentTimeMs();
  let change = now;
  while (offset(change) === offset(now)) change += 3_600_000;
  const days = Math.ceil((change - now) / DAY) + 1;
  const seq = await sequence({
    schedule: {
      timezone: zone,
      days: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'],
      start: '09:00',
      end: '10:00',
    },
    steps: [step('0m'), step(`${days}d`)],
  });
  const c = await contact();
  await subscribe(seq, c);
  await result(seq, c);
  const [before, after] = await sent(seq, c);
  expect(local(before!.created_at, zone).split(' ')[1]).toBe('09:00');
  expect(local(after!.created_at, zone).split(' ')[1]).toBe('09:00');
  expect(offset(after!.created_at.getTime())).not.toBe(offset(before!.created_at.getTime()));
  // The same local hour on either side of the change: a whole number of days plus an hour.
  const gap = (after!.created_at.getTime() - before!.created_at.getTime()) / 3_600_000;
  expect(Math.abs(gap - Math.round(gap / 24) * 24)).toBeCloseTo(1, 2);
});

describe('re-entry', () => {
  it('never: a contact runs it once', async () => {
    const seq = await sequence({ reentry: 'never', steps: [step('0m')] });
    const c = await contact();
    await subscribe(seq, c);
    await result(seq, c);
    expect(await subscribe(seq, c)).toEqual([
      { contact_id: c._id, outcome: 'already_subscribed', run: null },
    ]);
    expect(await sent(seq, c)).toHaveLength(1);
  });

  it('after_completion: not while running, again once it ended', async () => {
    const seq = await sequence({ reentry: 'after_completion', steps: [step('0m'), step('1d')] });
    const c = await contact();
    await subscribe(seq, c);
    await untilSleeping(seq, c);
    expect((await subscribe(seq, c))[0]!.outcome).toBe('already_subscribed');
    await result(seq, c);
    expect((await subscribe(seq, c))[0]).toMatchObject({ outcome: 'subscribed', run: 2 });
    expect(await result(seq, c)).toEqual({ state: 'completed', reason: null });
    expect(await sent(seq, c)).toHaveLength(4);
  });

  it('always: subscribing again restarts a running one from its first step', async () => {
    const seq = await sequence({ reentry: 'always', steps: [step('0m'), step('1d'), step('1d')] });
    const c = await contact();
    await subscribe(seq, c);
    await untilSleeping(seq, c);
    const firstRun = (await handle(seq, c).describe()).runId;
    expect((await subscribe(seq, c))[0]).toMatchObject({ outcome: 'restarted', run: 2 });
    expect(await result(seq, c)).toEqual({ state: 'completed', reason: null });
    expect((await handle(seq, c).describe()).runId).not.toBe(firstRun);
    // Run 1 sent its first step only; run 2 all three.
    expect(await sent(seq, c)).toHaveLength(4);
    expect(await store.sequenceSubscriptions.get(seq._id, c._id)).toMatchObject({
      run: 2,
      state: 'completed',
    });
  });
});

describe('exits', () => {
  const triggers = () =>
    sequenceTriggers({
      store,
      client: () => env.client,
      optOutWords: ['STOP', 'UNSUBSCRIBE'],
      starter,
    });

  it('STOP opts the contact out and ends every sequence it is in, at once', async () => {
    const a = await sequence({ steps: [step('0m'), step('3d')] });
    const b = await sequence({ steps: [step('1d'), step('3d')] });
    const c = await contact();
    await subscribe(a, c);
    await subscribe(b, c);
    await untilSleeping(a, c);
    await untilSleeping(b, c);
    await triggers().onMessages([{ orgId, contactId: c._id, text: ' stop ' }]);
    const exited = { state: 'exited', reason: 'opted_out' };
    expect(await result(a, c)).toEqual(exited);
    expect(await result(b, c)).toEqual(exited);
    expect((await store.contacts.get(orgId, c._id))?.opted_in).toBe(false);
    expect(await sent(a, c)).toHaveLength(1);
    expect(await sent(b, c)).toHaveLength(0);
    expect((await subscribe(a, c))[0]!.outcome).toBe('opted_out');
  });

  it('a reply ends the runs whose rules say so, and a keyword subscribes its sender', async () => {
    const onReply = await sequence({
      exit: { tags: [], on_reply: true },
      steps: [step('0m'), step('2d')],
    });
    const keyword = await sequence({ keywords: ['Join Now'], steps: [step('0m')] });
    const c = await contact();
    await subscribe(onReply, c);
    await untilSleeping(onReply, c);
    await triggers().onMessages([{ orgId, contactId: c._id, text: 'join   NOW' }]);
    expect(await result(onReply, c)).toEqual({ state: 'exited', reason: 'replied' });
    await starter.idle();
    expect(await result(keyword, c)).toEqual({ state: 'completed', reason: null });
    expect(await store.sequenceSubscriptions.get(keyword._id, c._id)).toMatchObject({
      source: 'keyword',
      state: 'completed',
    });
  });

  it('the goal tag ends the run: by signal when added here, else at its next step', async () => {
    const seq = await sequence({
      exit: { tags: ['purchased'], on_reply: false },
      steps: [step('0m'), step('1d'), step('1d')],
    });
    const signalled = await contact();
    const checked = await contact();
    await subscribe(seq, signalled, checked);
    await untilSleeping(seq, signalled);
    await untilSleeping(seq, checked);

    const unwatch = watchContactChanges(store, () => env.client, quiet);
    await store.contacts.update(orgId, signalled._id, { tags: ['purchased'] });
    // As the contacts API does: MongoDB makes the change's event visible once flushed.
    await store.outbox.flush('contacts', signalled._id);
    expect(await result(seq, signalled)).toEqual({
      state: 'exited',
      reason: 'tag_added:purchased',
    });
    unwatch();
    await store.contacts.update(orgId, checked._id, { tags: ['vip', 'purchased'] });
    expect(await result(seq, checked)).toEqual({ state: 'exited', reason: 'tag_added:purchased' });
    expect(await sent(seq, signalled)).toHaveLength(1);
    expect(await sent(seq, checked)).toHaveLength(1);
  });
});

it('24h steps: sent while the window is open, else the fallback template or skipped', async () => {
  const seq = await sequence({
    steps: [
      textStep('0m', 'Hi {{name}}'),
      textStep('2d', 'Still there?'),
      textStep('1d', 'Last chance', true),
    ],
  });
  const c = await contact();
  await store.contacts.recordInbound(
    orgId,
    { phone: c.phone_number, userId: null },
    {
      at: new Date(await env.currentTimeMs()),
    },
  );
  await subscribe(seq, c);
  expect(await result(seq, c)).toEqual({ state: 'completed', reason: null });

  const messages = await sent(seq, c);
  expect(messages.map((m) => m.type)).toEqual(['text', 'template']);
  expect(messages[0]!.content).toEqual({ body: `Hi ${c.name}` });
  expect(templateName(messages[1]!)).toBe('fallback');
  const sub = await store.sequenceSubscriptions.get(seq._id, c._id);
  expect(sub!.history.map((h) => [h.outcome, h.reason])).toEqual([
    ['queued', null],
    ['skipped', 'Outside the 24-hour window'],
    ['fallback', 'Outside the 24-hour window'],
  ]);
});

it("fills a step's {{action.<key>}} placeholders from its action, and skips it when the action fails", async () => {
  const action = (name: string, code: string) =>
    store.actions.create(orgId, { name: `${name}-${randomUUID()}`, description: null, code });
  const greet = await action('greet', 'return { greeting: `Hello ${contact.name}!` }');
  const broken = await action('broken', "throw new Error('no stock')");
  const withAction = (text: string, actionId: string) => {
    const s = textStep('0m', text);
    return { ...s, message: { ...s.message, action_id: actionId } };
  };
  const seq = await sequence({
    steps: [
      withAction('{{action.greeting}}', greet._id),
      withAction('{{action.code | none}}', broken._id),
    ],
  });
  const c = await contact();
  await store.contacts.recordInbound(
    orgId,
    { phone: c.phone_number, userId: null },
    {
      at: new Date(await env.currentTimeMs()),
    },
  );
  await subscribe(seq, c);
  expect(await result(seq, c)).toEqual({ state: 'completed', reason: null });

  const messages = await sent(seq, c);
  expect(messages.map((m) => m.content)).toEqual([{ body: `Hello ${c.name}!` }]);
  const sub = await store.sequenceSubscriptions.get(seq._id, c._id);
  expect(sub!.history.map((h) => [h.outcome, h.reason])).toEqual([
    ['queued', null],
    ['skipped', 'Action runtime error: Error: no stock'],
  ]);
  const runs = await store.actions.runs(orgId, greet._id, { limit: 10 });
  expect(runs.map((r) => [r.caller, r.outcome])).toEqual([
    [{ type: 'sequence', id: seq._id }, 'ok'],
  ]);
});

it('an edit does not disturb running subscriptions: they finish the version they started', async () => {
  const named = (name: string, delay: string) =>
    step(delay, {
      message: { type: 'template', template: { name, language: 'en_US', components: [] } },
    });
  const seq = await sequence({
    steps: [named('v1_a', '0m'), named('v1_b', '1d'), named('v1_c', '1d')],
  });
  const early = await contact();
  await subscribe(seq, early);
  await untilSleeping(seq, early);

  const edited = await store.sequences.update(
    orgId,
    seq._id,
    sequenceInput({ steps: [named('v2_only', '0m')] }),
  );
  expect(edited!.version).toBe(2);
  const late = await contact();
  await subscribe(edited!, late);
  await results([seq, early], [seq, late]);

  expect((await sent(seq, early)).map(templateName)).toEqual(['v1_a', 'v1_b', 'v1_c']);
  expect((await sent(seq, late)).map(templateName)).toEqual(['v2_only']);
  expect((await store.sequenceSubscriptions.get(seq._id, early._id))?.version).toBe(1);
});

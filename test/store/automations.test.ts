import { randomUUID } from 'node:crypto';
import type { Store } from '../../store/contract';
import type {
  AutomationDoc,
  AutomationInputDoc,
  AutomationRunDoc,
  InboundFacts,
  NewAutomation,
  RouteDecision,
} from '../../store/contract/automations';
import { activeRunKey } from '../../store/automations';
import { openTestStore, STORE_KINDS, type TestStore } from '../support/store';

const at = (iso: string) => new Date(iso);

const automationInput = (over: Partial<NewAutomation> = {}): NewAutomation => ({
  name: 'Welcome',
  enabled: true,
  account_id: 'acc-1',
  trigger: { type: 'keyword', keywords: ['hi', 'hello'] },
  conditions: [
    { field: 'tags', op: 'contains', value: 'vip' },
    {
      any: [
        { hours: { timezone: 'UTC', days: ['mon'], start: '09:00', end: '17:00' }, op: 'within' },
      ],
    },
  ],
  steps: [
    {
      id: 'ask',
      type: 'wait_for_reply',
      timeout: '2h',
      timeout_ms: 7_200_000,
      branches: [{ match: { button: 'yes' }, next: 'thanks' }],
      on_timeout: null,
      save_to: null,
    },
    // An absent `next` (the following step) is not `next: null` (the end).
    {
      id: 'thanks',
      type: 'send_message',
      message: { type: 'text', text: 'Thanks {{name}}' },
      fallback: null,
      next: undefined,
    },
    { id: 'done', type: 'end', next: null },
  ],
  priority: 0,
  ...over,
});

const facts = (wamid: string, when: Date): InboundFacts => ({
  message_id: `in:${wamid}`,
  type: 'text',
  text: 'hi',
  button: null,
  list_reply: null,
  at: when,
});

describe.each(STORE_KINDS)('%s', (kind) => {
  let t: TestStore;
  let store: Store;
  beforeAll(async () => {
    t = await openTestStore(kind);
    store = t.store;
  });
  afterAll(() => t?.handle.close());

  const newOrg = async () => (await store.organizations.create('Acme'))._id;
  const runs = () => store.automationRuns;
  const inputs = () => store.automationInputs;

  /** A run as routing starts it, at `when`. */
  const runOf = (
    a: Pick<AutomationDoc, '_id' | 'org_id'>,
    contactId: string,
    when = at('2026-03-01T10:00:00Z'),
    over: Partial<AutomationRunDoc> = {},
  ): AutomationRunDoc => ({
    _id: randomUUID(),
    org_id: a.org_id,
    automation_id: a._id,
    version: 1,
    contact_id: contactId,
    state: 'running',
    active_key: activeRunKey(a._id, contactId),
    trigger: { type: 'keyword', input: 'message.incoming:w1', message: facts('w1', when) },
    step: 'ask',
    wait: null,
    seq: 0,
    context: { action: {}, message: facts('w1', when) },
    path: [],
    last_input: 'message.incoming:w1',
    end_reason: null,
    created_at: when,
    updated_at: when,
    ended_at: null,
    ...over,
  });

  /** The run waiting for a reply at its next seq, as its process saves it. */
  const waiting = (run: AutomationRunDoc, since: Date): AutomationRunDoc => ({
    ...run,
    state: 'waiting',
    seq: run.seq + 1,
    wait: {
      kind: 'reply',
      step: 'ask',
      seq: run.seq + 1,
      since,
      until: new Date(since.getTime() + 7_200_000),
    },
    path: [
      ...run.path,
      { step: 'ask', type: 'wait_for_reply', at: since, outcome: 'waiting', detail: null },
    ],
    updated_at: since,
  });

  const ended = (run: AutomationRunDoc, when: Date): AutomationRunDoc => ({
    ...run,
    state: 'completed',
    step: null,
    wait: null,
    active_key: run._id,
    ended_at: when,
    updated_at: when,
    path: [...run.path, { step: 'done', type: 'end', at: when, outcome: 'end', detail: null }],
  });

  /** An automation's run, started and saved waiting at seq 1. */
  const waitingRun = async (org: string) => {
    const a = await store.automations.create(org, automationInput());
    const run = runOf(a, randomUUID());
    await runs().start(run);
    const w = waiting(run, at('2026-03-01T10:00:01Z'));
    expect(await runs().save(w)).toBe(true);
    return { a, run: w };
  };

  describe('automations', () => {
    it('creates version 1, keeps every version on edit, and reads only within its organization', async () => {
      const org = await newOrg();
      const input = automationInput();
      const a = await store.automations.create(org, input);
      expect(a).toMatchObject({ org_id: org, name: 'Welcome', enabled: true, version: 1 });
      const stored = await store.automations.get(org, a._id);
      expect(stored).toEqual(a);
      expect(stored!.created_at).toBeInstanceOf(Date);
      expect('next' in stored!.steps[1]!).toBe(false);
      expect(stored!.steps[2]!.next).toBeNull();
      expect(await store.automations.get(await newOrg(), a._id)).toBeNull();

      const edited = await store.automations.update(
        org,
        a._id,
        automationInput({
          name: 'Welcome v2',
          enabled: false,
          trigger: { type: 'campaign_reply', campaign_id: 'c-1', within_hours: 24 },
          steps: [{ id: 'bye', type: 'end' }],
          priority: 3,
        }),
      );
      expect(edited).toMatchObject({ version: 2, name: 'Welcome v2', enabled: false, priority: 3 });
      expect(await store.automations.get(org, a._id)).toEqual(edited);
      const v1 = await store.automations.version(a._id, 1);
      expect(v1).toEqual({
        _id: `${a._id}:1`,
        org_id: org,
        automation_id: a._id,
        version: 1,
        definition: {
          account_id: 'acc-1',
          trigger: input.trigger,
          conditions: input.conditions,
          steps: input.steps,
          priority: 0,
        },
        created_at: a.created_at,
      });
      expect((await store.automations.version(a._id, 2))?.definition).toMatchObject({
        trigger: { type: 'campaign_reply', campaign_id: 'c-1', within_hours: 24 },
        steps: [{ id: 'bye', type: 'end' }],
        priority: 3,
      });
      expect(await store.automations.version(a._id, 3)).toBeNull();
      expect(await store.automations.update(await newOrg(), a._id, automationInput())).toBeNull();
    });

    it('lists newest first by cursor and the enabled ones by priority, ties oldest first', async () => {
      const org = await newOrg();
      const create = async (name: string, priority: number, enabled = true) => {
        const a = await store.automations.create(org, automationInput({ name, priority, enabled }));
        // Created in another millisecond: the same one would order them by id instead.
        await new Promise((r) => setTimeout(r, 5));
        return a;
      };
      const a = await create('a', 1);
      const b = await create('b', 5);
      const c = await create('c', 1);
      const off = await create('off', 9, false);

      const [first, second] = await store.automations.list(org, { limit: 2 });
      expect([first!._id, second!._id]).toEqual([off._id, c._id]);
      const rest = await store.automations.list(org, {
        limit: 5,
        before: { created_at: second!.created_at, id: second!._id },
      });
      expect(rest.map((x) => x._id)).toEqual([b._id, a._id]);
      expect((await store.automations.enabled(org)).map((x) => x.name)).toEqual(['b', 'a', 'c']);
      expect(await store.automations.enabled(await newOrg())).toEqual([]);
    });

    it('deletes the automation and its versions, and keeps its runs', async () => {
      const org = await newOrg();
      const a = await store.automations.create(org, automationInput());
      await store.automations.update(org, a._id, automationInput({ name: 'v2' }));
      const run = runOf(a, randomUUID());
      await runs().start(run);

      expect(await store.automations.delete(await newOrg(), a._id)).toBe(false);
      expect(await store.automations.delete(org, a._id)).toBe(true);
      expect(await store.automations.get(org, a._id)).toBeNull();
      expect(await store.automations.version(a._id, 1)).toBeNull();
      expect(await store.automations.version(a._id, 2)).toBeNull();
      expect(await runs().get(run._id)).toEqual(run);
      expect(await store.automations.delete(org, a._id)).toBe(false);
    });
  });

  describe('runs', () => {
    it('starts a run once: started, then exists for its id, busy for another while it is active', async () => {
      const org = await newOrg();
      const a = await store.automations.create(org, automationInput());
      const contactId = randomUUID();
      const run = runOf(a, contactId);
      expect(await runs().start(run)).toEqual({ outcome: 'started', run });
      const stored = await runs().get(run._id);
      expect(stored).toEqual(run);
      expect(stored!.trigger.message!.at).toBeInstanceOf(Date);
      expect(stored!.context.message!.at).toBeInstanceOf(Date);

      // A retried start with the same id: the stored run, not the new one.
      const retried = { ...run, last_input: 'other', created_at: at('2026-03-02T00:00:00Z') };
      expect(await runs().start(retried)).toEqual({ outcome: 'exists', run });
      const other = runOf(a, contactId);
      expect(await runs().start(other)).toEqual({ outcome: 'busy', run: null });
      expect(await runs().get(other._id)).toBeNull();
      // Another contact, or another automation, is not held by it.
      expect((await runs().start(runOf(a, randomUUID()))).outcome).toBe('started');
      const b = await store.automations.create(org, automationInput());
      expect((await runs().start(runOf(b, contactId))).outcome).toBe('started');

      // Ended, the run no longer holds the key; it still answers for its id.
      expect(await runs().save(ended(run, at('2026-03-01T10:00:05Z')))).toBe(true);
      expect((await runs().start(other)).outcome).toBe('started');
      expect((await runs().start(run)).outcome).toBe('exists');

      expect(await runs().find(org, run._id)).toMatchObject({ _id: run._id, state: 'completed' });
      expect(await runs().find(await newOrg(), run._id)).toBeNull();
    });

    it('saves progress while running with its input, dates and JSON as they were', async () => {
      const org = await newOrg();
      const a = await store.automations.create(org, automationInput());
      const run = runOf(a, randomUUID());
      await runs().start(run);
      const since = at('2026-03-01T10:00:01Z');
      const next: AutomationRunDoc = {
        ...waiting(run, since),
        context: {
          action: { order: '42', total: '10.50' },
          message: facts('w2', at('2026-03-01T10:00:00.500Z')),
        },
        path: [
          {
            step: 'lookup',
            type: 'run_action',
            at: since,
            outcome: 'done',
            detail: { result: { nested: [1, 'two', null] } },
          },
        ],
      };
      expect(await runs().save(next)).toBe(true);
      const stored = await runs().get(run._id);
      expect(stored).toEqual(next);
      expect(stored!.wait!.since).toBeInstanceOf(Date);
      expect(stored!.wait!.until).toBeInstanceOf(Date);
      expect(stored!.path[0]!.at).toBeInstanceOf(Date);
      expect(stored!.context.message!.at).toBeInstanceOf(Date);
      // Only a running run is saved: this one waits now.
      expect(await runs().save({ ...next, step: 'elsewhere' })).toBe(false);
      expect((await runs().get(run._id))!.step).toBe('ask');
    });

    it('claims a waiting run at its seq only, once per input, and returns it to a retried claim', async () => {
      const { run } = await waitingRun(await newOrg());
      const when = at('2026-03-01T10:30:00Z');
      expect(await runs().claim(run._id, 2, 'message.incoming:w2', when)).toBeNull();
      expect(await runs().claim('nope', 1, 'message.incoming:w2', when)).toBeNull();

      const taken = await runs().claim(run._id, 1, 'message.incoming:w2', when);
      expect(taken).toEqual({
        ...run,
        state: 'running',
        last_input: 'message.incoming:w2',
        wait: null,
        updated_at: when,
      });
      expect(await runs().get(run._id)).toEqual(taken);
      // The same input again: the run as it is; another input: nothing.
      expect(
        await runs().claim(run._id, 1, 'message.incoming:w2', at('2026-03-01T11:00:00Z')),
      ).toEqual(taken);
      expect(await runs().claim(run._id, 1, 'timeout:1', when)).toBeNull();

      // Moved on by that input, a retried claim still finds it, as it is now.
      const later = ended(taken!, at('2026-03-01T10:30:01Z'));
      expect(await runs().save(later)).toBe(true);
      expect(await runs().claim(run._id, 1, 'message.incoming:w2', when)).toEqual(later);
    });

    it('refuses a save once a cancel or another claim took the run', async () => {
      const org = await newOrg();
      const { run } = await waitingRun(org);
      const mine = (await runs().claim(
        run._id,
        1,
        'message.incoming:w2',
        at('2026-03-01T10:30:00Z'),
      ))!;
      // The process of the first reply waits again; the timer of that wait takes it.
      const again = waiting(mine, at('2026-03-01T10:30:01Z'));
      expect(await runs().save(again)).toBe(true);
      const timer = await runs().claim(run._id, 2, 'timeout:2', at('2026-03-01T12:30:01Z'));
      expect(timer).toMatchObject({ state: 'running', last_input: 'timeout:2' });
      // A late save of the first reply's process changes nothing.
      expect(await runs().save({ ...mine, step: 'late' })).toBe(false);
      expect(await runs().get(run._id)).toEqual(timer);

      const [cancelled] = await runs().cancel(
        { orgId: org, runId: run._id },
        'api',
        at('2026-03-01T12:31:00Z'),
      );
      expect(cancelled).toMatchObject({ _id: run._id, state: 'cancelled' });
      expect(await runs().save(ended(timer!, at('2026-03-01T12:32:00Z')))).toBe(false);
      expect(await runs().get(run._id)).toEqual(cancelled);
    });

    it('cancels the active runs a match finds, by run, by automation and by contact', async () => {
      const org = await newOrg();
      const a = await store.automations.create(org, automationInput());
      const b = await store.automations.create(org, automationInput());
      const [c1, c2, c3] = [randomUUID(), randomUUID(), randomUUID()];
      const start = async (run: AutomationRunDoc) => {
        expect((await runs().start(run)).outcome).toBe('started');
        return run;
      };
      const a1 = await start(runOf(a, c1));
      const a2w = waiting(await start(runOf(a, c2)), at('2026-03-01T10:00:01Z'));
      await runs().save(a2w);
      const a3 = await start(runOf(a, c3));
      const done = ended(a3, at('2026-03-01T10:00:02Z'));
      await runs().save(done);
      const b1 = await start(runOf(b, c1));
      const b2 = await start(runOf(b, c2));
      const when = at('2026-03-01T11:00:00Z');

      // Another organization's match finds nothing.
      expect(
        await runs().cancel({ orgId: await newOrg(), automationId: a._id }, 'x', when),
      ).toEqual([]);

      const [byRun, ...none] = await runs().cancel({ orgId: org, runId: a1._id }, 'api', when);
      expect(none).toEqual([]);
      expect(byRun).toEqual({
        ...a1,
        state: 'cancelled',
        end_reason: 'api',
        ended_at: when,
        updated_at: when,
        active_key: a1._id,
        wait: null,
        step: null,
      });
      expect(await runs().get(a1._id)).toEqual(byRun);
      expect(await runs().cancel({ orgId: org, runId: a1._id }, 'api', when)).toEqual([]);

      // Both conditions must hold: automation a and contact c1 (already ended) is nothing.
      expect(
        await runs().cancel({ orgId: org, automationId: a._id, contactIds: [c1] }, 'x', when),
      ).toEqual([]);

      const byAutomation = await runs().cancel(
        { orgId: org, automationId: a._id },
        'automation deleted',
        when,
      );
      expect(byAutomation.map((r) => r._id)).toEqual([a2w._id]);
      expect(byAutomation[0]).toMatchObject({ wait: null, step: null, active_key: a2w._id });
      expect(await runs().get(a3._id)).toEqual(done);

      const byContact = await runs().cancel({ orgId: org, contactIds: [c1, c2] }, 'opt-out', when);
      expect(byContact.map((r) => r._id).sort()).toEqual([b1._id, b2._id].sort());
      expect(byContact.every((r) => r.state === 'cancelled' && r.end_reason === 'opt-out')).toBe(
        true,
      );
      expect(await runs().active(org, [c1, c2, c3])).toEqual([]);
      // The keys are free again.
      expect((await runs().start(runOf(a, c1))).outcome).toBe('started');
    });

    it("finds the contacts' active runs, the stalled ones and the overdue ones, oldest first", async () => {
      const org = await newOrg();
      const a = await store.automations.create(org, automationInput());
      const b = await store.automations.create(org, automationInput());
      // Long before any other test's runs: these two reads are not scoped.
      const t0 = at('2001-01-01T00:00:00Z');
      const min = (n: number) => new Date(t0.getTime() + n * 60_000);
      const [c1, c2] = [randomUUID(), randomUUID()];

      const late = runOf(a, c1, min(0), { updated_at: min(3) });
      const early = runOf(b, c1, min(0), { updated_at: min(1) });
      const fresh = runOf(a, c2, min(0), { updated_at: min(50) });
      for (const r of [late, early, fresh]) await runs().start(r);
      const w1 = runOf(a, randomUUID(), min(0));
      const w2 = runOf(b, randomUUID(), min(0));
      await runs().start(w1);
      await runs().start(w2);
      // Waits until min(2) + 2 h and min(1) + 2 h.
      await runs().save(waiting(w1, min(2)));
      await runs().save(waiting(w2, min(1)));
      const gone = runOf(b, c2, min(0));
      await runs().start(gone);
      await runs().save(ended(gone, min(4)));

      const active = await runs().active(org, [c1, c2]);
      expect(active.map((r) => r._id).sort()).toEqual([late._id, early._id, fresh._id].sort());
      expect(await runs().active(await newOrg(), [c1, c2])).toEqual([]);

      expect((await runs().stalled(min(10), 10)).map((r) => r._id)).toEqual([early._id, late._id]);
      expect((await runs().stalled(min(10), 1)).map((r) => r._id)).toEqual([early._id]);
      expect((await runs().stalled(min(1), 10)).map((r) => r._id)).toEqual([]);

      expect((await runs().overdue(min(200), 10)).map((r) => r._id)).toEqual([w2._id, w1._id]);
      expect((await runs().overdue(min(200), 1)).map((r) => r._id)).toEqual([w2._id]);
      expect((await runs().overdue(min(121), 10)).map((r) => r._id)).toEqual([]);
      const [overdue] = await runs().overdue(min(200), 1);
      expect(overdue!.wait!.until).toEqual(min(121));
    });

    it('lists runs newest first by cursor and state, per automation and per contact, and counts them', async () => {
      const org = await newOrg();
      const a = await store.automations.create(org, automationInput());
      const b = await store.automations.create(org, automationInput());
      const contactId = randomUUID();
      const made: AutomationRunDoc[] = [];
      for (let i = 0; i < 4; i++) {
        const run = runOf(a, randomUUID(), at(`2026-03-0${i + 1}T00:00:00Z`));
        await runs().start(run);
        made.push(run);
      }
      // Two created at the same instant: ordered by id.
      const same = at('2026-03-04T00:00:00Z');
      const twin = runOf(a, contactId, same);
      await runs().start(twin);
      await runs().save(ended(made[1]!, at('2026-03-05T00:00:00Z')));
      await runs().save(waiting(made[2]!, at('2026-03-05T00:00:00Z')));
      const elsewhere = runOf(b, contactId, at('2026-03-06T00:00:00Z'));
      await runs().start(elsewhere);

      const newest = [twin, made[3]!].sort((x, y) => (x._id < y._id ? 1 : -1));
      const expected = [...newest, made[2]!, made[1]!, made[0]!].map((r) => r._id);
      const firstPage = await runs().list(a._id, { limit: 2 });
      expect(firstPage.map((r) => r._id)).toEqual(expected.slice(0, 2));
      const last = firstPage[1]!;
      const secondPage = await runs().list(a._id, {
        limit: 10,
        before: { created_at: last.created_at, id: last._id },
      });
      expect(secondPage.map((r) => r._id)).toEqual(expected.slice(2));
      expect(
        (await runs().list(a._id, { limit: 10, state: 'completed' })).map((r) => r._id),
      ).toEqual([made[1]!._id]);
      expect(
        (
          await runs().list(a._id, {
            limit: 10,
            state: 'running',
            before: { created_at: made[2]!.created_at, id: made[2]!._id },
          })
        ).map((r) => r._id),
      ).toEqual([made[0]!._id]);

      const forContact = await runs().listForContact(org, contactId, { limit: 10 });
      expect(forContact.map((r) => r._id)).toEqual([elsewhere._id, twin._id]);
      expect(
        (
          await runs().listForContact(org, contactId, {
            limit: 10,
            before: { created_at: elsewhere.created_at, id: elsewhere._id },
          })
        ).map((r) => r._id),
      ).toEqual([twin._id]);
      expect(await runs().listForContact(await newOrg(), contactId, { limit: 10 })).toEqual([]);

      expect(await runs().counts(a._id)).toEqual({
        running: 3,
        waiting: 1,
        completed: 1,
        failed: 0,
        cancelled: 0,
      });
      expect(await runs().counts('none')).toEqual({
        running: 0,
        waiting: 0,
        completed: 0,
        failed: 0,
        cancelled: 0,
      });
    });
  });

  describe('inputs', () => {
    const decision: RouteDecision = {
      kind: 'start',
      automation_id: 'a-1',
      version: 2,
      run_id: 'r-1',
    };
    const inputOf = (
      over: Partial<AutomationInputDoc> = {},
      created = at('2026-03-01T10:00:00Z'),
    ): AutomationInputDoc => ({
      _id: `message.incoming:${randomUUID()}`,
      org_id: 'org-1',
      contact_id: 'contact-1',
      decision,
      state: 'decided',
      created_at: created,
      done_at: null,
      ...over,
    });

    it('records each decision once and answers, in order, the one recorded first', async () => {
      const x = inputOf();
      const y = inputOf({ decision: { kind: 'none', reason: 'no automation matched' } });
      expect(await inputs().decide([x, y])).toEqual([x, y]);
      const stored = await inputs().get(x._id);
      expect(stored).toEqual(x);
      expect(stored!.created_at).toBeInstanceOf(Date);

      const z = inputOf({ decision: { kind: 'stop' } });
      const xAgain = { ...x, decision: { kind: 'reply', run_id: 'r-9', seq: 3 } as RouteDecision };
      // The same input twice in one batch, and one recorded by an earlier call.
      const zAgain = { ...z, decision: { kind: 'none', reason: 'later' } as RouteDecision };
      expect(await inputs().decide([z, xAgain, zAgain])).toEqual([z, x, z]);
      expect(await inputs().get(z._id)).toEqual(z);
      expect(await inputs().decide([])).toEqual([]);
      expect(await inputs().get('nope')).toBeNull();
    });

    it('decides a batch larger than one bulk write', async () => {
      const batch = Array.from({ length: 150 }, () => inputOf());
      const known = batch.slice(40, 60);
      await inputs().decide(known);
      const fresh = batch.map((i) => ({ ...i, decision: { kind: 'stop' as const } }));
      const answer = await inputs().decide(fresh);
      expect(answer).toEqual(fresh.map((f, i) => (i >= 40 && i < 60 ? batch[i] : f)));
      expect(await inputs().unseen(batch.map((i) => i._id))).toEqual([]);
    });

    it('redecides and marks done only decided inputs, and tells which ids it never saw', async () => {
      const x = inputOf();
      const y = inputOf();
      const z = inputOf();
      await inputs().decide([x, y, z]);
      const reply: RouteDecision = { kind: 'none', reason: 'wait over' };
      await inputs().redecide(x._id, reply);
      expect(await inputs().get(x._id)).toEqual({ ...x, decision: reply });

      const when = at('2026-03-01T10:00:05Z');
      await inputs().done([x._id, y._id], when);
      expect(await inputs().get(x._id)).toEqual({
        ...x,
        decision: reply,
        state: 'done',
        done_at: when,
      });
      expect(await inputs().get(y._id)).toMatchObject({ state: 'done', done_at: when });
      expect(await inputs().get(z._id)).toEqual(z);
      // Done stays done: neither its decision nor its time changes again.
      await inputs().redecide(y._id, reply);
      await inputs().done([y._id], at('2026-03-02T00:00:00Z'));
      expect(await inputs().get(y._id)).toEqual({ ...y, state: 'done', done_at: when });
      await inputs().done([], when);

      const never = `message.incoming:${randomUUID()}`;
      expect(await inputs().unseen([never, x._id, z._id, 'other'])).toEqual([never, 'other']);
      expect(await inputs().unseen([])).toEqual([]);
    });

    it('finds the inputs left decided before a time, oldest first', async () => {
      // Long before any other test's inputs: this read is not scoped.
      const t0 = at('2001-01-01T00:00:00Z');
      const min = (n: number) => new Date(t0.getTime() + n * 60_000);
      const late = inputOf({}, min(3));
      const early = inputOf({}, min(1));
      const finished = inputOf({}, min(2));
      const recent = inputOf({}, min(30));
      await inputs().decide([late, early, finished, recent]);
      await inputs().done([finished._id], min(4));
      expect(await inputs().undone(min(10), 10)).toEqual([early, late]);
      expect(await inputs().undone(min(10), 1)).toEqual([early]);
      expect(await inputs().undone(min(1), 10)).toEqual([]);
    });

    it('purges the inputs recorded before a time, decided or done, and no others', async () => {
      // Before any other test's inputs: the purge is not scoped.
      const t0 = at('1990-01-01T00:00:00Z');
      const min = (n: number) => new Date(t0.getTime() + n * 60_000);
      const decided = inputOf({}, min(1));
      const done = inputOf({}, min(2));
      const recent = inputOf({}, min(10));
      await inputs().decide([decided, done, recent]);
      await inputs().done([done._id], min(3));
      expect(await inputs().purgeBefore(min(5))).toBe(2);
      expect(await inputs().get(decided._id)).toBeNull();
      expect(await inputs().get(done._id)).toBeNull();
      expect(await inputs().get(recent._id)).toEqual(recent);
      expect(await inputs().unseen([decided._id, recent._id])).toEqual([decided._id]);
      expect(await inputs().purgeBefore(min(5))).toBe(0);
    });

    it('keeps where the sweep stopped', async () => {
      expect(await inputs().sweptThrough()).toBeNull();
      await inputs().setSweptThrough(at('2026-03-01T10:00:00Z'));
      expect(await inputs().sweptThrough()).toEqual(at('2026-03-01T10:00:00Z'));
      await inputs().setSweptThrough(at('2026-03-01T10:05:00Z'));
      expect(await inputs().sweptThrough()).toEqual(at('2026-03-01T10:05:00Z'));
      // Its own cursor: the webhook recovery's is another.
      expect(await store.webhookDeliveries.recoveredThrough()).toBeNull();
    });
  });
});

import type { Store } from '../../store/contract';
import type { ContactInput } from '../../store/contact-fields';
import type { ContactDoc } from '../../store/documents';
import type { SequenceDoc, StepRecord } from '../../store/contract/sequences';
import { openTestStore, STORE_KINDS, type TestStore } from '../support/store';
import { sequenceInput, step } from '../support/sequences';

describe.each(STORE_KINDS)('%s', (kind) => {
  let t: TestStore;
  let store: Store;
  beforeAll(async () => {
    t = await openTestStore(kind);
    store = t.store;
  });
  afterAll(() => t?.handle.close());

  const newOrg = async () => (await store.organizations.create('Acme'))._id;
  let phone = 0;
  const contact = (orgId: string, over: Partial<ContactInput> = {}) =>
    store.contacts.create(orgId, {
      phone_number: `+1555700${String(++phone).padStart(4, '0')}`,
      opted_in: true,
      ...over,
    });
  const subs = () => store.sequenceSubscriptions;
  const runOf = (seq: SequenceDoc, c: ContactDoc, run = 1) => ({
    sequence_id: seq._id,
    contact_id: c._id,
    run,
  });
  const record = (n: number): StepRecord => ({
    step: n,
    at: new Date('2026-01-01T10:00:00Z'),
    outcome: 'queued',
    message_id: `m-${n}`,
    reason: null,
  });

  describe('sequences', () => {
    it('creates version 1, keeps every version on edit, and reads only within its organization', async () => {
      const org = await newOrg();
      const seq = await store.sequences.create(org, sequenceInput({ keywords: ['JOIN'] }));
      expect(seq.version).toBe(1);
      expect(await store.sequences.get(org, seq._id)).toMatchObject({ name: 'Onboarding' });
      expect(await store.sequences.get(await newOrg(), seq._id)).toBeNull();

      const edited = await store.sequences.update(
        org,
        seq._id,
        sequenceInput({ name: 'Onboarding v2', steps: [step('2h')] }),
      );
      expect(edited).toMatchObject({ version: 2, name: 'Onboarding v2' });
      expect((await store.sequences.version(seq._id, 1))?.definition.steps).toHaveLength(2);
      expect((await store.sequences.version(seq._id, 2))?.definition.steps).toEqual([step('2h')]);
      expect(await store.sequences.update(await newOrg(), seq._id, sequenceInput())).toBeNull();
    });

    it('lists newest first by cursor, finds keyword sequences, and deletes with versions and subscriptions', async () => {
      const org = await newOrg();
      const a = await store.sequences.create(org, sequenceInput({ name: 'a' }));
      // Created in another millisecond: the same one would order them by id instead.
      await new Promise((r) => setTimeout(r, 5));
      const b = await store.sequences.create(org, sequenceInput({ name: 'b', keywords: ['GO'] }));
      const [first] = await store.sequences.list(org, { limit: 1 });
      expect(first!._id).toBe(b._id);
      const next = await store.sequences.list(org, {
        limit: 5,
        before: { created_at: first!.created_at, id: first!._id },
      });
      expect(next.map((s) => s._id)).toEqual([a._id]);
      expect((await store.sequences.withKeywords(org)).map((s) => s._id)).toEqual([b._id]);

      const c = await contact(org);
      await subs().subscribe(b, [c._id], 'api');
      expect(await store.sequences.delete(org, b._id)).toBe(true);
      expect(await store.sequences.get(org, b._id)).toBeNull();
      expect(await store.sequences.version(b._id, 1)).toBeNull();
      expect(await subs().get(b._id, c._id)).toBeNull();
      expect(await store.sequences.delete(org, b._id)).toBe(false);
    });
  });

  describe('subscriptions', () => {
    it('subscribes known opted-in contacts once, a result per id', async () => {
      const org = await newOrg();
      const seq = await store.sequences.create(
        org,
        sequenceInput({ exit: { tags: ['paid'], on_reply: true } }),
      );
      const yes = await contact(org, { custom_fields: { timezone: 'Asia/Kolkata' } });
      const out = await contact(org, { opted_in: false });
      const other = await contact(await newOrg());
      const results = await subs().subscribe(
        seq,
        [yes._id, out._id, other._id, 'nope', yes._id],
        'api',
      );
      expect(results).toEqual([
        { contact_id: yes._id, outcome: 'subscribed', run: 1 },
        { contact_id: out._id, outcome: 'opted_out', run: null },
        { contact_id: other._id, outcome: 'contact_not_found', run: null },
        { contact_id: 'nope', outcome: 'contact_not_found', run: null },
      ]);
      expect(await subs().get(seq._id, yes._id)).toMatchObject({
        state: 'pending',
        run: 1,
        version: 1,
        step: 0,
        phone_number: yes.phone_number,
        timezone: 'Asia/Kolkata',
        exit_tags: ['paid'],
        exit_on_reply: true,
        history: [],
      });
      expect(await subs().subscribe(seq, [yes._id], 'api')).toEqual([
        { contact_id: yes._id, outcome: 'already_subscribed', run: null },
      ]);
    });

    it.each([
      ['never', 'already_subscribed', 'already_subscribed'],
      ['after_completion', 'already_subscribed', 'subscribed'],
      ['always', 'restarted', 'subscribed'],
    ] as const)(
      're-entry %s: while running %s, after it ended %s',
      async (reentry, running, ended) => {
        const org = await newOrg();
        const seq = await store.sequences.create(org, sequenceInput({ reentry }));
        const c = await contact(org);
        await subs().subscribe(seq, [c._id], 'api');
        const [whileRunning] = await subs().subscribe(seq, [c._id], 'api');
        expect(whileRunning!.outcome).toBe(running);
        const run = whileRunning!.run ?? 1;
        expect(await subs().end(runOf(seq, c, run), 'completed', null, record(0))).toBe(true);
        const [after] = await subs().subscribe(seq, [c._id], 'keyword');
        expect(after!.outcome).toBe(ended);
        const now = await subs().get(seq._id, c._id);
        if (ended === 'subscribed') {
          expect(now).toMatchObject({
            run: run + 1,
            state: 'pending',
            step: 0,
            history: [],
            source: 'keyword',
          });
        } else {
          expect(now).toMatchObject({ run, state: 'completed' });
        }
      },
    );

    it('starts pending runs, advances a step only from where it is, and ends a run once', async () => {
      const org = await newOrg();
      const seq = await store.sequences.create(org, sequenceInput());
      const c = await contact(org);
      await subs().subscribe(seq, [c._id], 'api', new Date(Date.now() - 5_000));
      const pending = await subs().pendingStart(100, new Date());
      expect(pending.map((p) => p.contact_id)).toContain(c._id);
      const first = new Date('2030-01-01T09:00:00Z');
      await subs().markStarted([{ ...runOf(seq, c), next_step_at: first }]);
      expect(await subs().get(seq._id, c._id)).toMatchObject({
        state: 'active',
        next_step_at: first,
      });
      expect((await subs().pendingStart(100)).map((p) => p.contact_id)).not.toContain(c._id);

      const next = new Date('2030-01-02T09:00:00Z');
      const move = { from: 0, to: 1, nextAt: next, record: record(0) };
      expect(await subs().advance(runOf(seq, c, 2), move)).toBe(false);
      expect(await subs().advance(runOf(seq, c), move)).toBe(true);
      expect(await subs().advance(runOf(seq, c), move)).toBe(false);
      const later = new Date('2030-01-03T09:00:00Z');
      expect(
        await subs().advance(runOf(seq, c), { from: 1, to: 1, nextAt: later, record: null }),
      ).toBe(true);
      const now = await subs().get(seq._id, c._id);
      expect(now).toMatchObject({ step: 1, next_step_at: later });
      expect(now!.history).toEqual([record(0)]);

      expect(await subs().end(runOf(seq, c), 'completed', null, record(1))).toBe(true);
      expect(await subs().end(runOf(seq, c), 'exited', 'opted_out', null)).toBe(false);
      expect(await subs().get(seq._id, c._id)).toMatchObject({
        state: 'completed',
        step: 2,
        next_step_at: null,
        exit_reason: null,
      });
      expect(await subs().counts(seq._id)).toEqual({
        pending: 0,
        active: 0,
        completed: 1,
        exited: 0,
      });
    });

    it('exits running runs by contact, reply rule and goal tag, returning what it ended', async () => {
      const org = await newOrg();
      const replies = await store.sequences.create(
        org,
        sequenceInput({ exit: { tags: [], on_reply: true } }),
      );
      const goal = await store.sequences.create(
        org,
        sequenceInput({ exit: { tags: ['paid'], on_reply: false } }),
      );
      const [a, b] = [await contact(org), await contact(org)];
      for (const s of [replies, goal]) await subs().subscribe(s, [a._id, b._id], 'api');

      const replied = await subs().exit(
        { orgId: org, contactIds: [a._id], onReply: true },
        'replied',
      );
      expect(replied).toEqual([{ sequence_id: replies._id, contact_id: a._id, run: 1 }]);
      const tagged = await subs().exit(
        { orgId: org, contactIds: [a._id, b._id], tags: ['vip', 'paid'] },
        'tag_added:paid',
      );
      expect(tagged.map((e) => e.contact_id).sort()).toEqual([a._id, b._id].sort());
      expect(tagged.every((e) => e.sequence_id === goal._id)).toBe(true);
      expect(
        await subs().exit({ orgId: await newOrg(), contactIds: [b._id] }, 'opted_out'),
      ).toEqual([]);
      const all = await subs().exit({ orgId: org, contactIds: [b._id] }, 'opted_out');
      expect(all).toEqual([{ sequence_id: replies._id, contact_id: b._id, run: 1 }]);
      expect(await subs().get(goal._id, a._id)).toMatchObject({
        state: 'exited',
        exit_reason: 'tag_added:paid',
      });

      const page = await subs().list(replies._id, { limit: 1 });
      expect(page).toHaveLength(1);
      const rest = await subs().list(replies._id, { limit: 5, after: page[0]!.contact_id });
      expect(rest).toHaveLength(1);
      expect(await subs().list(replies._id, { limit: 5, state: 'active' })).toEqual([]);
    });
  });
});

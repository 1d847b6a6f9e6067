import { Client, Connection } from '@temporalio/client';
import { createDryEffects } from '../../automations/dry-effects';
import { StepFailure, type EffectStep, type StepScope } from '../../automations/effects';
import { createStepEffects, type EffectDeps } from '../../automations/step-effects';
import { idFrom } from '../../lib/ids';
import { MetaApiError } from '../../meta/errors';
import { WINDOW_CLOSED } from '../../sequences/step';
import type { Store } from '../../store/contract';
import type { AutomationRunDoc, InboundFacts } from '../../store/contract/automations';
import type { NewMessage } from '../../store/contract/messages';
import type { ContactDoc, TemplateDoc } from '../../store/documents';
import { createSandbox } from '../../vm';
import { paymentLinkWorkflowId } from '../../workflows/contracts/payment-link';
import { STRIPE_KEYS } from '../support/payments';
import { sequenceInput } from '../support/sequences';
import { openTestStore, STORE_KINDS, type TestStore } from '../support/store';

/** When the steps run: a minute ago, so what they queue is due. */
const AT = new Date(Date.now() - 60_000);
const HOUR = 3_600_000;
const AUTOMATION = 'auto-1';

const said = (text: string): InboundFacts => ({
  message_id: 'in:wamid.said',
  type: 'text',
  text,
  button: null,
  list_reply: null,
  at: new Date(AT.getTime() - HOUR),
});

describe.each(STORE_KINDS)('automation step effects on %s', (kind) => {
  let t: TestStore;
  let store: Store;
  let connection: Connection;
  let orgId: string;
  let accountId: string;
  let effects: ReturnType<typeof createStepEffects>;
  let dry: ReturnType<typeof createDryEffects>;
  const sandbox = createSandbox({ isolation: 'inline' });
  const published: string[] = [];
  const kicks: number[] = [];
  const links: string[] = [];
  const receipts: { wamid: string; typing: boolean | undefined }[] = [];
  let refuseReceipts = false;

  beforeAll(async () => {
    t = await openTestStore(kind);
    store = t.store;
    connection = await Connection.connect({ address: t.config.temporal.address });
    const temporal = new Client({ connection, namespace: t.config.temporal.namespace });
    orgId = (await store.organizations.create('Shop'))._id;
    accountId = (
      await store.accounts.create(orgId, {
        name: 'Main',
        phoneNumberId: `1065403${Math.floor(Math.random() * 1e8)}`,
        wabaId: '102290129340001',
        accessToken: 'EAAG',
        appSecret: 'secret',
        verifyToken: 'verify',
      })
    )._id;
    await store.gatewaySettings.put(orgId, 'stripe', STRIPE_KEYS, 'test');
    const deps: EffectDeps = {
      store,
      sandbox,
      temporal,
      config: t.config,
      log: { warn() {}, error() {} },
      signals: {
        publish: (_channel, accountId) => {
          published.push(accountId);
          return Promise.resolve();
        },
      },
      kickSequences: () => void kicks.push(1),
      meta: {
        markRead: (_target, wamid, typing) => {
          if (refuseReceipts) {
            return Promise.reject(new MetaApiError(100, 'Invalid parameter', 400));
          }
          receipts.push({ wamid, typing });
          return Promise.resolve();
        },
      },
    };
    effects = createStepEffects(deps);
    dry = createDryEffects({ store, sandbox });
  });
  afterAll(async () => {
    // Nothing polls the test's task queue: the links' workflows only wait.
    await Promise.all(
      links.map((id) =>
        new Client({ connection, namespace: t.config.temporal.namespace }).workflow
          .getHandle(paymentLinkWorkflowId(id))
          .terminate('test over')
          .catch(() => undefined),
      ),
    );
    await connection?.close();
    await sandbox.close();
    await t?.handle.close();
  });

  let n = 0;
  const phone = () => `+1415555${String(1000 + n++).padStart(4, '0')}`;

  /** A contact who wrote an hour before the steps run (the window is open), or never. */
  async function contact(opts: { wrote?: boolean; tags?: string[] } = {}): Promise<ContactDoc> {
    const number = phone();
    if (!opts.wrote) {
      return store.contacts.create(orgId, {
        phone_number: number,
        name: 'Ana',
        tags: opts.tags ?? [],
        opted_in: true,
      });
    }
    const { contact } = await store.contacts.recordInbound(
      orgId,
      { phone: number, userId: null },
      { name: 'Ana', at: new Date(AT.getTime() - HOUR) },
    );
    return contact;
  }

  /** A run of the automation for the contact, at AT, with what it has seen so far. */
  function scope(
    c: ContactDoc,
    ctx: { message?: InboundFacts | null; action?: Record<string, string>; at?: Date } = {},
  ): StepScope {
    const message = ctx.message === undefined ? said('price') : ctx.message;
    const run: AutomationRunDoc = {
      _id: `run-${++n}`,
      org_id: orgId,
      automation_id: AUTOMATION,
      version: 1,
      contact_id: c._id,
      state: 'running',
      active_key: `${AUTOMATION}:${c._id}`,
      trigger: { type: 'any_message', input: 'message.incoming:wamid.said', message },
      step: null,
      wait: null,
      seq: 0,
      context: { action: ctx.action ?? {}, message },
      path: [],
      last_input: 'message.incoming:wamid.said',
      end_reason: null,
      created_at: AT,
      updated_at: AT,
      ended_at: null,
    };
    return {
      run,
      def: {
        account_id: accountId,
        trigger: { type: 'any_message' },
        conditions: [],
        steps: [],
        priority: 0,
      },
      contact: c,
      at: ctx.at ?? AT,
    };
  }

  const twice = async (s: StepScope, step: EffectStep) => {
    const first = await effects.run(s, step);
    const second = await effects.run(s, step);
    return { first, second };
  };
  const outbound = async (c: ContactDoc) =>
    (await store.messages.history(orgId, c._id, { limit: 50 })).filter(
      (m) => m.direction === 'outbound',
    );
  const events = async (type: string, contactId: string) =>
    (await store.events.list(orgId, { type }, 1_000)).filter(
      (e) => (e.data.contact_id ?? e.data.id) === contactId,
    );
  const template = (name: string, status: string): TemplateDoc => ({
    _id: `${accountId}:${name}:en_US`,
    org_id: orgId,
    account_id: accountId,
    meta_id: `meta-${name}`,
    name,
    language: 'en_US',
    category: 'MARKETING',
    status,
    components: [],
    parameter_counts: { header: 0, body: 0, buttons: [] },
    header_format: null,
    quality_score: null,
    synced_at: new Date(),
  });
  const failure = (p: Promise<unknown>) =>
    p.then(
      () => null,
      (err: unknown) => err,
    );

  describe('send_message', () => {
    it('queues the rendered message once, ahead of bulk traffic, and wakes the lane', async () => {
      const c = await contact({ wrote: true });
      // A bulk message queued before it: the automation's answer is claimed first.
      const bulk: NewMessage = {
        _id: `bulk-${c._id}`,
        org_id: orgId,
        account_id: accountId,
        contact_id: c._id,
        direction: 'outbound',
        phone_number: c.phone_number,
        user_id: null,
        type: 'text',
        content: { body: 'Sale!' },
        origin: 'campaign',
        origin_id: 'camp-1',
        request_hash: null,
        wamid: null,
        status: 'queued',
      };
      await store.sendQueue.enqueue([bulk], 'bulk', new Date(AT.getTime() - HOUR));
      const s = scope(c);
      const step: EffectStep = {
        id: 's1',
        type: 'send_message',
        message: {
          type: 'text',
          text: 'Hi {{name}}, {{message.text}} is {{action.price|on request}}',
        },
        fallback: null,
      };
      const { first, second } = await twice(s, step);
      const messageId = idFrom(`automation:${s.run._id}:s1`);
      expect(first).toEqual({ outcome: 'sent', detail: { message_id: messageId, type: 'text' } });
      expect(second).toEqual(first);
      const sent = (await outbound(c)).filter((m) => m.origin === 'automation');
      expect(sent).toHaveLength(1);
      expect(sent[0]).toMatchObject({
        _id: messageId,
        account_id: accountId,
        content: { body: 'Hi Ana, price is on request' },
        origin_id: AUTOMATION,
        status: 'queued',
      });
      expect(published).toContain(accountId);
      const [claimed] = await store.sendQueue.claim(accountId, 'test', {
        limit: 1,
        leaseMs: 1_000,
      });
      expect(claimed).toMatchObject({
        message: { _id: messageId },
        entry: { class: 'transactional' },
      });
    });

    it('sends the fallback template outside the window, else nothing; a template goes anyway', async () => {
      const c = await contact();
      const s = scope(c);
      const text = { type: 'text' as const, text: 'Still there?' };
      const fallback = {
        type: 'template' as const,
        template: { name: 'come_back', language: 'en_US', components: [] },
      };
      const withFallback = await effects.run(s, {
        id: 'f1',
        type: 'send_message',
        message: text,
        fallback,
      });
      expect(withFallback).toEqual({
        outcome: 'fallback',
        detail: {
          message_id: idFrom(`automation:${s.run._id}:f1`),
          type: 'template',
          reason: WINDOW_CLOSED,
        },
      });
      const none = await effects.run(s, {
        id: 'f2',
        type: 'send_message',
        message: text,
        fallback: null,
      });
      expect(none).toEqual({
        outcome: 'skipped',
        detail: { reason: 'Outside the 24-hour window' },
      });
      const templated = await effects.run(s, {
        id: 'f3',
        type: 'send_message',
        message: fallback,
        fallback: null,
      });
      expect(templated.outcome).toBe('sent');
      const sent = await outbound(c);
      expect(sent.map((m) => [m.type, m.content.name]).sort()).toEqual([
        ['template', 'come_back'],
        ['template', 'come_back'],
      ]);
    });

    it('fails the step on a template Meta paused, and for a contact with no number nor user id', async () => {
      await store.templates.upsert([template('paused_offer', 'PAUSED')]);
      const c = await contact({ wrote: true });
      const step: EffectStep = {
        id: 'p1',
        type: 'send_message',
        message: {
          type: 'template',
          template: { name: 'paused_offer', language: 'en_US', components: [] },
        },
        fallback: null,
      };
      for (const e of [effects, dry]) {
        const err = await failure(e.run(scope(c), step));
        expect(err).toBeInstanceOf(StepFailure);
        expect((err as Error).message).toBe('Template paused_offer (en_US) is PAUSED');
      }
      const nowhere = { ...c, phone_number: null, user_id: null };
      const err = await failure(
        effects.run(scope(nowhere), {
          id: 'p2',
          type: 'send_message',
          message: { type: 'text', text: 'Hi' },
          fallback: null,
        }),
      );
      expect(err).toBeInstanceOf(StepFailure);
      expect(await outbound(c)).toEqual([]);
    });
  });

  describe('contacts', () => {
    it('adds and removes tags, stores the contact and records its change once', async () => {
      const c = await contact({ tags: ['lead', 'cold'] });
      const step: EffectStep = { id: 't1', type: 'set_tags', add: ['vip'], remove: ['cold'] };
      const { first, second } = await twice(scope(c), step);
      expect(first).toMatchObject({ outcome: 'tagged', contact: { tags: ['lead', 'vip'] } });
      expect(second.contact?.tags).toEqual(['lead', 'vip']);
      expect((await store.contacts.get(orgId, c._id))?.tags).toEqual(['lead', 'vip']);
      const updates = await events('contact.updated', c._id);
      expect(updates.map((e) => e.data.tags)).toEqual([['lead', 'vip']]);
    });

    it('sets fields from placeholders, removes custom fields, and fails on a value the store refuses', async () => {
      const c = await contact();
      await store.contacts.update(orgId, c._id, { custom_fields: { old: 'x', keep: 1 } });
      const step: EffectStep = {
        id: 'f1',
        type: 'set_fields',
        set: { email: '{{message.text}}@example.com', plan: '{{action.plan}}', stage: '' },
        remove: ['old'],
      };
      const r = await effects.run(scope(c, { action: { plan: 'gold' } }), step);
      const stored = await store.contacts.get(orgId, c._id);
      expect(r.outcome).toBe('updated');
      expect(r.contact).toEqual(stored);
      expect(stored).toMatchObject({
        email: 'price@example.com',
        stage: null,
        custom_fields: { keep: 1, plan: 'gold' },
      });
      expect(stored?.custom_fields).not.toHaveProperty('old');

      const err = await failure(
        effects.run(scope(c), { id: 'f2', type: 'set_fields', set: { 'a.b': '1' }, remove: [] }),
      );
      expect(err).toBeInstanceOf(StepFailure);
      expect((err as Error).message).toMatch(/custom_fields: the key "a.b"/);
    });
  });

  describe('run_action', () => {
    it("returns the action's values, recorded once as the automation's run", async () => {
      const c = await contact();
      const action = await store.actions.create(orgId, {
        name: 'quote',
        description: null,
        code: 'return { pct: contact.name.length * 5, said: message.text, tier: input.tier, org: organization.name, skip: [1] }',
      });
      const r = await effects.run(scope(c), {
        id: 'a1',
        type: 'run_action',
        action_id: action._id,
        input: { tier: 'gold' },
      });
      const values = { pct: '15', said: 'price', tier: 'gold', org: 'Shop' };
      expect(r).toEqual({ outcome: 'ran', detail: { values }, values });
      const runs = await store.actions.runs(orgId, action._id, { limit: 10 });
      expect(runs.map((x) => [x.caller, x.outcome])).toEqual([
        [{ type: 'automation', id: AUTOMATION }, 'ok'],
      ]);
    });

    it('fails the step when the action fails, is disabled or is gone', async () => {
      const c = await contact();
      const failing = await store.actions.create(orgId, {
        name: 'broken',
        description: null,
        code: 'throw new Error("no stock")',
      });
      const disabled = await store.actions.create(orgId, {
        name: 'crashy',
        description: null,
        code: 'return {}',
      });
      await store.actions.disable(orgId, disabled._id, 'it crashed');
      const cases: [string, string][] = [
        [failing._id, 'Action runtime error: Error: no stock'],
        [disabled._id, 'The action is disabled: it crashed'],
        ['no-such-action', "Action 'no-such-action' not found"],
      ];
      for (const [actionId, message] of cases) {
        const err = await failure(
          effects.run(scope(c), { id: 'a1', type: 'run_action', action_id: actionId, input: null }),
        );
        expect(err).toBeInstanceOf(StepFailure);
        expect((err as Error).message).toBe(message);
      }
      const runs = await store.actions.runs(orgId, failing._id, { limit: 10 });
      expect(runs.map((x) => x.outcome)).toEqual(['runtime']);
    });
  });

  describe('sequences', () => {
    it('subscribes once however often the step runs, and unsubscribes', async () => {
      const c = await contact();
      // `always` restarts on every subscribe: a step tried again must not.
      const seq = await store.sequences.create(
        orgId,
        sequenceInput({ account_id: accountId, reentry: 'always' }),
      );
      const s = scope(c);
      const kicked = kicks.length;
      const { first, second } = await twice(s, {
        id: 'q1',
        type: 'subscribe_sequence',
        sequence_id: seq._id,
      });
      expect(first).toEqual({ outcome: 'subscribed', detail: { sequence_id: seq._id, run: 1 } });
      expect(second).toEqual(first);
      expect(kicks.length - kicked).toBe(1);
      expect(await store.sequenceSubscriptions.get(seq._id, c._id)).toMatchObject({
        run: 1,
        state: 'pending',
        source: 'automation',
      });

      const never = await store.sequences.create(orgId, sequenceInput({ account_id: accountId }));
      const q2: EffectStep = { id: 'q2', type: 'subscribe_sequence', sequence_id: never._id };
      await effects.run(scope(c), q2);
      // Another run, later.
      const later = new Date(AT.getTime() + 1_000);
      expect(await effects.run(scope(c, { at: later }), q2)).toEqual({
        outcome: 'already_subscribed',
        detail: { sequence_id: never._id },
      });

      const off: EffectStep = { id: 'u1', type: 'unsubscribe_sequence', sequence_id: seq._id };
      const { first: left, second: again } = await twice(s, off);
      expect(left).toEqual({ outcome: 'unsubscribed', detail: { sequence_id: seq._id, ended: 1 } });
      expect(again.detail).toEqual({ sequence_id: seq._id, ended: 0 });
      expect(await store.sequenceSubscriptions.get(seq._id, c._id)).toMatchObject({
        state: 'exited',
        exit_reason: 'unsubscribed',
      });

      const err = await failure(
        effects.run(s, { id: 'q3', type: 'subscribe_sequence', sequence_id: 'gone' }),
      );
      expect(err).toBeInstanceOf(StepFailure);
    });
  });

  describe('payment links, transfers and events', () => {
    it('creates one payment link per run and step', async () => {
      const c = await contact({ wrote: true });
      const step: EffectStep = {
        id: 'l1',
        type: 'send_payment_link',
        amount: 49_900,
        currency: 'USD',
        description: 'Order for {{name}}',
        gateway: null,
        expires_in: '2h',
      };
      const { first, second } = await twice(scope(c), step);
      const id = (first.detail as { payment_link_id: string }).payment_link_id;
      links.push(id);
      expect(first).toEqual({ outcome: 'created', detail: { payment_link_id: id, url: null } });
      expect(second).toEqual(first);
      const stored = await store.paymentLinks.list(orgId, { limit: 10, contactId: c._id });
      expect(stored).toHaveLength(1);
      expect(stored[0]).toMatchObject({
        _id: id,
        account_id: accountId,
        amount: 49_900,
        gateway: 'stripe',
        description: 'Order for Ana',
      });
      expect(stored[0]!.expires_at.getTime() - stored[0]!.created_at.getTime()).toBe(2 * HOUR);

      const err = await failure(effects.run(scope(c), { ...step, id: 'l2', currency: 'XYZ' }));
      expect(err).toBeInstanceOf(StepFailure);
      expect((err as Error).message).toMatch(/currency: 'XYZ' is not supported/);
    });

    it('transfers once per run and step, with one transfer.created event', async () => {
      const c = await contact();
      const step: EffectStep = {
        id: 'x1',
        type: 'transfer',
        agent_id: null,
        team_id: 'support',
        notes: '{{name}} asked about {{message.text}}',
      };
      const { first, second } = await twice(scope(c), step);
      const id = (first.detail as { transfer_id: string }).transfer_id;
      expect(first).toEqual({ outcome: 'transferred', detail: { transfer_id: id } });
      expect(second).toEqual(first);
      expect(await store.transfers.get(orgId, id)).toMatchObject({
        contact_id: c._id,
        to_team_id: 'support',
        notes: 'Ana asked about price',
      });
      expect(await events('transfer.created', c._id)).toHaveLength(1);
    });

    it('records one automation.event with its data filled in', async () => {
      const c = await contact();
      const s = scope(c, { action: { order: 'A-1' } });
      const step: EffectStep = {
        id: 'e1',
        type: 'emit_event',
        name: 'order.checked',
        data: { order: '{{action.order}}', asked: { text: '{{message.text}}' }, count: 3 },
      };
      const { first, second } = await twice(s, step);
      const eventId = `automation.event:${s.run._id}:e1`;
      expect(first).toEqual({ outcome: 'emitted', detail: { event_id: eventId } });
      expect(second).toEqual(first);
      const recorded = await events('automation.event', c._id);
      expect(recorded).toHaveLength(1);
      expect(recorded[0]).toMatchObject({
        _id: eventId,
        timestamp: AT,
        data: {
          automation_id: AUTOMATION,
          run_id: s.run._id,
          contact_id: c._id,
          name: 'order.checked',
          data: { order: 'A-1', asked: { text: 'price' }, count: 3 },
        },
      });
    });
  });

  describe('mark_read', () => {
    /** The customer's message as the inbox stores it, and as runs see it. */
    async function received(c: ContactDoc): Promise<InboundFacts> {
      const wamid = `wamid.in-${++n}`;
      await store.messages.insert({
        _id: `in:${wamid}`,
        org_id: orgId,
        account_id: accountId,
        contact_id: c._id,
        direction: 'inbound',
        phone_number: c.phone_number,
        user_id: null,
        type: 'text',
        content: { body: 'price' },
        origin: 'whatsapp',
        origin_id: null,
        request_hash: null,
        wamid,
        status: 'delivered',
      });
      return { ...said('price'), message_id: `in:${wamid}` };
    }
    const step: EffectStep = { id: 'r1', type: 'mark_read', typing_indicator: true };

    it("sends the receipt for the run's latest message once, and records it read", async () => {
      const c = await contact({ wrote: true });
      const message = await received(c);
      const wamid = message.message_id.slice(3);
      const { first, second } = await twice(scope(c, { message }), step);
      const detail = { message_id: message.message_id, typing_indicator: true };
      expect(first).toEqual({ outcome: 'read', detail });
      expect(second).toEqual({ outcome: 'already_read', detail });
      expect(receipts.filter((r) => r.wamid === wamid)).toEqual([{ wamid, typing: true }]);
      const stored = await store.messages.get(orgId, message.message_id);
      expect(stored?.status).toBe('read');
      expect(stored?.status_history.map((h) => h.status)).toEqual(['delivered', 'read']);
    });

    it('skips a run with no customer message, and goes on when Meta refuses the receipt', async () => {
      const c = await contact({ wrote: true });
      expect(await effects.run(scope(c, { message: null }), step)).toMatchObject({
        outcome: 'skipped',
      });
      const message = await received(c);
      refuseReceipts = true;
      try {
        expect(await effects.run(scope(c, { message }), step)).toMatchObject({
          outcome: 'not_read',
          detail: { reason: expect.stringContaining('Invalid parameter') },
        });
      } finally {
        refuseReceipts = false;
      }
      expect((await store.messages.get(orgId, message.message_id))?.status).toBe('delivered');
    });

    it('previews the receipt in a dry run without sending it', async () => {
      const c = await contact({ wrote: true });
      const message = await received(c);
      const before = receipts.length;
      expect(await dry.run(scope(c, { message }), step)).toEqual({
        outcome: 'read',
        detail: { would: 'mark_read', message_id: message.message_id, typing_indicator: true },
      });
      expect(receipts).toHaveLength(before);
      expect((await store.messages.get(orgId, message.message_id))?.status).toBe('delivered');
    });
  });

  describe('dry run', () => {
    it('gives every step its outcome and leaves the store as it was', async () => {
      const c = await contact({ wrote: true, tags: [] });
      const closed = await contact({ tags: ['cold'] });
      const seq = await store.sequences.create(orgId, sequenceInput({ account_id: accountId }));
      const action = await store.actions.create(orgId, {
        name: 'tier',
        description: null,
        code: 'return { tier: input.big ? "gold" : "silver" }',
      });
      const snapshot = async () => ({
        events: (await store.events.list(orgId, {}, 10_000)).length,
        contacts: (await store.contacts.list(orgId, { page: 1, limit: 1 })).total,
        people: [
          await store.contacts.get(orgId, c._id),
          await store.contacts.get(orgId, closed._id),
        ],
        messages: [...(await outbound(c)), ...(await outbound(closed))].length,
        runs: (await store.actions.runs(orgId, action._id, { limit: 10 })).length,
        links: (await store.paymentLinks.list(orgId, { limit: 100 })).length,
        subscription: await store.sequenceSubscriptions.get(seq._id, c._id),
      });
      const before = await snapshot();
      const s = scope(c);
      const text = { type: 'text' as const, text: 'Hi {{name}}' };

      expect(
        await dry.run(s, { id: 'd1', type: 'send_message', message: text, fallback: null }),
      ).toEqual({
        outcome: 'sent',
        detail: { type: 'text', content: { body: 'Hi Ana' }, window_open: true },
      });
      expect(
        await dry.run(scope(closed), {
          id: 'd2',
          type: 'send_message',
          message: text,
          fallback: null,
        }),
      ).toEqual({ outcome: 'skipped', detail: { reason: WINDOW_CLOSED, window_open: false } });
      const tagged = await dry.run(scope(closed), {
        id: 'd3',
        type: 'set_tags',
        add: ['warm'],
        remove: ['cold'],
      });
      expect(tagged).toMatchObject({ outcome: 'tagged', contact: { tags: ['warm'] } });
      const fields = await dry.run(s, {
        id: 'd4',
        type: 'set_fields',
        set: { name: 'Ana {{message.text}}', plan: 'gold' },
        remove: [],
      });
      expect(fields.contact).toMatchObject({ name: 'Ana price', custom_fields: { plan: 'gold' } });
      expect(
        await dry.run(s, {
          id: 'd5',
          type: 'run_action',
          action_id: action._id,
          input: { big: 1 },
        }),
      ).toEqual({ outcome: 'ran', detail: { values: { tier: 'gold' } }, values: { tier: 'gold' } });
      expect(
        await dry.run(s, { id: 'd6', type: 'subscribe_sequence', sequence_id: seq._id }),
      ).toEqual({ outcome: 'subscribed', detail: { would: 'subscribe', sequence_id: seq._id } });
      expect(
        (await dry.run(s, { id: 'd7', type: 'unsubscribe_sequence', sequence_id: seq._id }))
          .outcome,
      ).toBe('unsubscribed');
      expect(
        await dry.run(s, {
          id: 'd8',
          type: 'send_payment_link',
          amount: 100,
          currency: 'USD',
          description: 'For {{name}}',
          gateway: null,
          expires_in: null,
        }),
      ).toEqual({
        outcome: 'created',
        detail: {
          would: 'send_payment_link',
          amount: 100,
          currency: 'USD',
          description: 'For Ana',
          gateway: null,
          expires_in_minutes: 24 * 60,
        },
      });
      expect(
        (
          await dry.run(s, {
            id: 'd9',
            type: 'transfer',
            agent_id: 'agent-1',
            team_id: null,
            notes: null,
          })
        ).detail,
      ).toEqual({ would: 'transfer', agent_id: 'agent-1', team_id: null, notes: null });
      expect(
        await dry.run(s, {
          id: 'd10',
          type: 'emit_event',
          name: 'checked',
          data: { who: '{{name}}' },
        }),
      ).toMatchObject({
        outcome: 'emitted',
        detail: { would: 'emit_event', type: 'automation.event', data: { data: { who: 'Ana' } } },
      });

      expect(await snapshot()).toEqual(before);
    });
  });
});

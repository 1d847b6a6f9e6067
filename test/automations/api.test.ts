import type { InjectOptions } from 'fastify';
import { newRun } from '../../automations/engine';
import type { AutomationDoc, AutomationRunDoc } from '../../store/contract/automations';
import { createTestApp, type TestApp } from '../support/app';
import { STORE_KINDS } from '../support/store';

/**
 * The automations' API on each store: CRUD and versions, runs by automation and by contact,
 * cancelling a run, the dry run, and bad definitions refused with the step named. Runs are
 * recorded straight in the store: routing them is the engine's (test/automations/executor).
 */
describe.each(STORE_KINDS)('the automations API on %s', (kind) => {
  let t: TestApp;
  let orgId: string;

  beforeAll(async () => {
    t = await createTestApp({
      env: {
        WAFLOW_STORE: kind,
        RATE_LIMIT_PER_MINUTE: '100000',
        RATE_LIMIT_PER_SECOND: '100000',
      },
    });
    orgId = t.org.organization.id;
  });
  afterAll(() => t?.close());

  const call = (method: InjectOptions['method'], url: string, payload?: unknown) =>
    t.call({ method, url, ...(payload === undefined ? {} : { payload: payload as object }) });

  const definition = (over: Record<string, unknown> = {}) => ({
    name: 'Order status',
    trigger: { type: 'keyword', keywords: ['where is my order'] },
    steps: [
      { id: 'ask', type: 'send_message', message: { type: 'text', text: 'Your order number?' } },
      { id: 'wait', type: 'wait_for_reply', timeout: '1h', on_timeout: null, save_to: 'order' },
      {
        id: 'thanks',
        type: 'send_message',
        message: { type: 'text', text: 'Thanks {{name | there}}, looking up {{message.text}}' },
      },
    ],
    ...over,
  });

  async function create(over: Record<string, unknown> = {}) {
    const res = await call('POST', '/api/automations', definition(over));
    if (res.statusCode !== 201) throw new Error(`create: ${res.statusCode} ${res.body}`);
    return res.json().data as { id: string; version: number } & Record<string, unknown>;
  }

  let phones = 0;
  async function contact(): Promise<string> {
    const res = await call('POST', '/api/contacts', {
      phone_number: `+1415555${String(1000 + phones++)}`,
      name: 'Ana',
      opted_in: true,
    });
    expect(res.statusCode).toBe(201);
    return res.json().data.id as string;
  }

  /** A run of the automation for the contact, recorded as started (and waiting, if asked). */
  async function recordRun(
    automationId: string,
    contactId: string,
    opts: { waiting?: boolean; at?: Date } = {},
  ): Promise<AutomationRunDoc> {
    const { store } = t.app;
    const doc = (await store.automations.get(orgId, automationId)) as AutomationDoc;
    const at = opts.at ?? new Date();
    const run = newRun(
      doc,
      { id: `test:${Math.random()}`, orgId, contactId, at, kind: 'contact_created' },
      at,
    );
    const started = await store.automationRuns.start(run);
    expect(started.outcome).toBe('started');
    if (!opts.waiting) return run;
    const waiting: AutomationRunDoc = {
      ...run,
      state: 'waiting',
      step: 'wait',
      seq: 1,
      wait: {
        kind: 'reply',
        step: 'wait',
        seq: 1,
        since: at,
        until: new Date(at.getTime() + 3_600_000),
      },
      path: [{ step: 'ask', type: 'send_message', at, outcome: 'sent', detail: null }],
    };
    expect(await store.automationRuns.save(waiting)).toBe(true);
    return waiting;
  }

  it('creates an automation with its defaults and shows it with run counts', async () => {
    const created = await create();
    expect(created).toMatchObject({
      name: 'Order status',
      enabled: true,
      priority: 0,
      version: 1,
      trigger: { type: 'keyword', keywords: ['where is my order'] },
      conditions: [],
      runs: { running: 0, waiting: 0, completed: 0, failed: 0, cancelled: 0 },
    });
    expect((created.steps as object[])[1]).toEqual({
      id: 'wait',
      type: 'wait_for_reply',
      timeout: '1h',
      branches: [],
      on_timeout: null,
      save_to: 'order',
    });
    const got = await call('GET', `/api/automations/${created.id}`);
    expect(got.statusCode).toBe(200);
    expect(got.json().data).toEqual(created);
  });

  it('lists automations newest first, page by page', async () => {
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await create({ name: `Listed ${i}` })).id);
    const first = await call('GET', '/api/automations?limit=2');
    expect(first.statusCode).toBe(200);
    const page1 = first.json().data;
    expect(page1.automations.map((a: { id: string }) => a.id)).toEqual([ids[2], ids[1]]);
    const { before_time, before_id } = page1.next_cursor;
    const second = await call(
      'GET',
      `/api/automations?limit=2&before_time=${encodeURIComponent(before_time)}&before_id=${before_id}`,
    );
    expect(second.json().data.automations[0].id).toBe(ids[0]);
  });

  it('makes each edit a new version; a run keeps the version it started on', async () => {
    const a = await create();
    const c = await contact();
    const run = await recordRun(a.id, c, { waiting: true });

    const res = await call(
      'PUT',
      `/api/automations/${a.id}`,
      definition({ name: 'Order status v2', priority: 5, steps: [{ id: 'bye', type: 'end' }] }),
    );
    expect(res.statusCode).toBe(200);
    expect(res.json().data).toMatchObject({
      version: 2,
      name: 'Order status v2',
      priority: 5,
      steps: [{ id: 'bye', type: 'end' }],
      runs: { waiting: 1 },
    });
    const runs = (await call('GET', `/api/automations/${a.id}/runs`)).json().data.runs;
    expect(runs).toEqual([expect.objectContaining({ id: run._id, version: 1, state: 'waiting' })]);
    const v1 = await t.app.store.automations.version(a.id, 1);
    expect(v1!.definition.steps.map((s) => s.id)).toEqual(['ask', 'wait', 'thanks']);
  });

  it("lists an automation's runs with their path and wait, by state, newest first", async () => {
    const a = await create();
    const c1 = await contact();
    const c2 = await contact();
    const older = await recordRun(a.id, c1, { waiting: true, at: new Date(Date.now() - 60_000) });
    const newer = await recordRun(a.id, c2);

    const all = (await call('GET', `/api/automations/${a.id}/runs`)).json().data;
    expect(all.runs.map((r: { id: string }) => r.id)).toEqual([newer._id, older._id]);
    expect(all.runs[1]).toEqual({
      id: older._id,
      automation_id: a.id,
      version: 1,
      contact_id: c1,
      state: 'waiting',
      step: 'wait',
      waiting: { kind: 'reply', step: 'wait', until: older.wait!.until.toISOString() },
      trigger: { type: 'keyword', input: older.trigger.input, message: null },
      context: { action: {} },
      path: [
        {
          step: 'ask',
          type: 'send_message',
          at: older.created_at.toISOString(),
          outcome: 'sent',
          detail: null,
        },
      ],
      end_reason: null,
      created_at: older.created_at.toISOString(),
      updated_at: expect.any(String),
      ended_at: null,
    });

    const waiting = (await call('GET', `/api/automations/${a.id}/runs?state=waiting`)).json().data;
    expect(waiting.runs.map((r: { id: string }) => r.id)).toEqual([older._id]);
    const page = (await call('GET', `/api/automations/${a.id}/runs?limit=1`)).json().data;
    expect(page.runs).toHaveLength(1);
    const { before_time, before_id } = page.next_cursor;
    const next = await call(
      'GET',
      `/api/automations/${a.id}/runs?limit=1&before_time=${encodeURIComponent(before_time)}&before_id=${before_id}`,
    );
    expect(next.json().data.runs.map((r: { id: string }) => r.id)).toEqual([older._id]);

    const forContact = await call('GET', `/api/contacts/${c1}/automation-runs`);
    expect(forContact.statusCode).toBe(200);
    expect(forContact.json().data.runs.map((r: { id: string }) => r.id)).toEqual([older._id]);
  });

  it('answers 404 for the runs of an unknown automation or contact', async () => {
    expect((await call('GET', '/api/automations/nope/runs')).statusCode).toBe(404);
    expect((await call('GET', '/api/contacts/nope/automation-runs')).statusCode).toBe(404);
  });

  it('cancels a waiting run once: 409 after it ended, 404 for a run not of the automation', async () => {
    const a = await create();
    const other = await create({ name: 'Other' });
    const run = await recordRun(a.id, await contact(), { waiting: true });

    expect((await call('POST', `/api/automations/${a.id}/runs/nope/cancel`)).statusCode).toBe(404);
    const wrong = await call('POST', `/api/automations/${other.id}/runs/${run._id}/cancel`);
    expect(wrong.statusCode).toBe(404);

    // No timer workflow exists for this run: the signal's failure is ignored.
    const res = await call('POST', `/api/automations/${a.id}/runs/${run._id}/cancel`);
    expect(res.statusCode).toBe(200);
    expect(res.json().data).toMatchObject({
      id: run._id,
      state: 'cancelled',
      step: null,
      waiting: null,
      end_reason: 'cancelled',
      ended_at: expect.any(String),
    });
    const again = await call('POST', `/api/automations/${a.id}/runs/${run._id}/cancel`);
    expect(again.statusCode).toBe(409);
    expect(again.json().message).toBe(`Run '${run._id}' already ended (cancelled)`);
    expect((await call('GET', `/api/automations/${a.id}`)).json().data.runs).toMatchObject({
      waiting: 0,
      cancelled: 1,
    });
  });

  it('deletes an automation, ending its active runs as cancelled', async () => {
    const a = await create();
    const c = await contact();
    const waiting = await recordRun(a.id, c, { waiting: true });
    const running = await recordRun(a.id, await contact());

    const res = await call('DELETE', `/api/automations/${a.id}`);
    expect(res.statusCode).toBe(200);
    expect(res.json().data).toEqual({ id: a.id, deleted: true, ended: 2 });
    expect((await call('GET', `/api/automations/${a.id}`)).statusCode).toBe(404);
    for (const r of [waiting, running]) {
      expect(await t.app.store.automationRuns.get(r._id)).toMatchObject({
        state: 'cancelled',
        end_reason: 'automation deleted',
      });
    }
    const kept = (await call('GET', `/api/contacts/${c}/automation-runs`)).json().data.runs;
    expect(kept).toEqual([expect.objectContaining({ id: waiting._id, state: 'cancelled' })]);
    expect((await call('DELETE', `/api/automations/${a.id}`)).statusCode).toBe(404);
  });

  it('refuses a bad definition with a 400 naming the step', async () => {
    const unreachable = await call(
      'POST',
      '/api/automations',
      definition({
        steps: [
          { id: 'hi', type: 'send_message', message: { type: 'text', text: 'Hi' }, next: null },
          { id: 'lost', type: 'end' },
        ],
      }),
    );
    expect(unreachable.statusCode).toBe(400);
    expect(unreachable.json().message).toBe(
      'steps[1] (lost): no path from the first step reaches it',
    );
    const a = await create();
    const loop = await call(
      'PUT',
      `/api/automations/${a.id}`,
      definition({
        steps: [{ id: 'again', type: 'delay', duration: '1m', next: 'again' }],
      }),
    );
    expect(loop.statusCode).toBe(400);
    expect(loop.json().message).toBe(
      'steps[0] (again): the steps loop (again → again); every run must reach an end',
    );
    const shape = await call(
      'POST',
      '/api/automations',
      definition({ steps: [{ id: 'x', type: 'wait_for_reply', timeout: '1h' }] }),
    );
    expect(shape.statusCode).toBe(400);
    expect(shape.json().message).toMatch(/on_timeout/);
    expect((await call('GET', `/api/automations/${a.id}`)).json().data.version).toBe(1);
  });

  it('answers what a run would do without sending anything', async () => {
    const accountId = (await t.app.store.accounts.resolve(orgId, null))!._id;
    await t.app.store.templates.upsert([
      {
        _id: `${accountId}:order_help:en_US`,
        org_id: orgId,
        account_id: accountId,
        meta_id: 'meta-order-help',
        name: 'order_help',
        language: 'en_US',
        category: 'UTILITY',
        status: 'APPROVED',
        components: [{ type: 'BODY', text: 'Send us your order number' }],
        parameter_counts: { header: 0, body: 0, buttons: [] },
        header_format: null,
        quality_score: null,
        synced_at: new Date(),
      },
    ]);
    const a = await create({
      steps: [
        {
          id: 'ask',
          type: 'send_message',
          message: { type: 'text', text: 'Your order number?' },
          fallback: { type: 'template', template: { name: 'order_help' } },
        },
        { id: 'wait', type: 'wait_for_reply', timeout: '1h', on_timeout: null, save_to: 'order' },
        { id: 'done', type: 'set_tags', add: ['asked'] },
      ],
    });
    const c = await contact();
    const res = await call('POST', `/api/automations/${a.id}/test`, {
      contact_id: c,
      message: { text: 'Where is my order' },
      replies: [{ text: 'A-1001' }],
    });
    expect(res.statusCode).toBe(200);
    const data = res.json().data;
    expect(data).toMatchObject({ matched: true, reason: null, state: 'completed', waiting: null });
    // The contact never wrote, so its window is closed: the fallback template would go.
    expect(data.messages).toEqual([
      {
        step: 'ask',
        type: 'template',
        content: expect.objectContaining({ name: 'order_help', language: { code: 'en_US' } }),
      },
    ]);
    expect(data.path.map((p: { step: string }) => p.step)).toEqual(
      expect.arrayContaining(['ask', 'wait', 'done']),
    );
    expect(await t.app.store.messages.history(orgId, c, { limit: 10 })).toEqual([]);
    expect((await t.app.store.contacts.get(orgId, c))!.tags).toEqual([]);

    const miss = await call('POST', `/api/automations/${a.id}/test`, {
      contact_id: c,
      message: { text: 'hello' },
    });
    expect(miss.json().data).toMatchObject({ matched: false, messages: [] });
    const unknown = await call('POST', '/api/automations/nope/test', {
      contact_id: c,
      message: { text: 'hello' },
    });
    expect(unknown.statusCode).toBe(404);
  });

  it('documents every route in the OpenAPI document under automations', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
    const ops = [
      ['post', '/api/automations'],
      ['get', '/api/automations'],
      ['get', '/api/automations/{id}'],
      ['put', '/api/automations/{id}'],
      ['delete', '/api/automations/{id}'],
      ['get', '/api/automations/{id}/runs'],
      ['get', '/api/contacts/{id}/automation-runs'],
      ['post', '/api/automations/{id}/runs/{runId}/cancel'],
      ['post', '/api/automations/{id}/test'],
    ] as const;
    for (const [method, path] of ops) {
      const op = doc.paths[path]?.[method];
      expect({ path, method, tags: op?.tags, summary: typeof op?.summary }).toEqual({
        path,
        method,
        tags: ['automations'],
        summary: 'string',
      });
    }
  });
});

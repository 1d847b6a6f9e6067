import { randomUUID } from 'node:crypto';
import { createTestApp, type TestApp } from '../support/app';

let t: TestApp;
let orgId: string;

beforeAll(async () => {
  t = await createTestApp({
    env: {
      RATE_LIMIT_PER_MINUTE: '100000',
      RATE_LIMIT_PER_SECOND: '100000',
      // A short limit keeps the timeout case quick; the limit itself is configuration.
      ACTIONS_TIMEOUT_MS: '1000',
    },
  });
  orgId = t.org.organization.id;
});
afterAll(async () => {
  await t?.close();
});

const create = (body: Record<string, unknown>) =>
  t.call({ method: 'POST', url: '/api/actions', payload: body });
const run = (id: string, payload: Record<string, unknown> = {}) =>
  t.call({ method: 'POST', url: `/api/actions/${id}/run`, payload });

async function action(code: string, name = `a-${randomUUID()}`): Promise<string> {
  const res = await create({ name, code });
  expect(res.statusCode).toBe(201);
  return res.json().data.id as string;
}

describe('custom actions API', () => {
  it('creates, lists, reads, updates and deletes an action', async () => {
    const res = await create({
      name: 'format phone',
      description: 'Local format',
      code: 'return 1',
    });
    expect(res.statusCode).toBe(201);
    const created = res.json().data;
    expect(created).toMatchObject({
      name: 'format phone',
      description: 'Local format',
      code: 'return 1',
    });

    const list = await t.call({ method: 'GET', url: '/api/actions' });
    expect(list.json().data.map((a: { id: string }) => a.id)).toContain(created.id);
    expect(
      (await t.call({ method: 'GET', url: `/api/actions/${created.id}` })).json().data,
    ).toEqual(created);

    const patched = await t.call({
      method: 'PATCH',
      url: `/api/actions/${created.id}`,
      payload: { code: 'return 2', description: null },
    });
    expect(patched.statusCode).toBe(200);
    expect(patched.json().data).toMatchObject({
      name: 'format phone',
      code: 'return 2',
      description: null,
    });

    const del = await t.call({ method: 'DELETE', url: `/api/actions/${created.id}` });
    expect(del.json()).toEqual({ status: 'success', data: { id: created.id, deleted: true } });
    expect((await t.call({ method: 'GET', url: `/api/actions/${created.id}` })).statusCode).toBe(
      404,
    );
    expect((await t.call({ method: 'DELETE', url: `/api/actions/${created.id}` })).statusCode).toBe(
      404,
    );
  });

  it('refuses code that does not compile with a 400 naming the line and column', async () => {
    const res = await create({ name: 'broken', code: 'const a = 1;\nconst b = ;' });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(
      /^code: SyntaxError: Unexpected token ';' \(line 2, column 11\)$/,
    );
    const escape = await create({ name: 'escape', code: 'return 1\n}); (function () {' });
    expect(escape.statusCode).toBe(400);
    expect(escape.json().message).toMatch(/^code: SyntaxError/);

    const id = await action('return 1');
    const patch = await t.call({
      method: 'PATCH',
      url: `/api/actions/${id}`,
      payload: { code: 'return (' },
    });
    expect(patch.statusCode).toBe(400);
    expect(patch.json().message).toMatch(/\(line 1, column \d+\)/);
    expect((await t.call({ method: 'GET', url: `/api/actions/${id}` })).json().data.code).toBe(
      'return 1',
    );
    expect(
      (await t.call({ method: 'GET', url: '/api/actions' }))
        .json()
        .data.map((a: { name: string }) => a.name),
    ).not.toContain('broken');
  });

  it('refuses a second action of the same name and empty or unknown fields', async () => {
    await action('return 1', 'unique-name');
    const dup = await create({ name: 'unique-name', code: 'return 2' });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().message).toBe("An action named 'unique-name' already exists");
    expect((await create({ name: '', code: 'return 1' })).statusCode).toBe(400);
    expect((await create({ name: 'x', code: '' })).statusCode).toBe(400);
    const empty = await t.call({
      method: 'PATCH',
      url: `/api/actions/${await action('return 1')}`,
      payload: {},
    });
    expect(empty.statusCode).toBe(400);
    const id = await action('return 1');
    expect((await run(id, { contact: 'x' })).statusCode).toBe(400);
  });

  it('runs an action with the contact, its last message, agent, organization and input', async () => {
    const contact = await t.app.store.contacts.create(orgId, {
      phone_number: '+919876543210',
      name: 'Asha',
      tags: ['vip'],
      custom_fields: { plan: 'gold' },
    });
    const id = await action(
      [
        "console.log('for', contact.name);",
        'await null;',
        'return {',
        "  formatted_phone: contact.phone_number.replace('+91', '0'),",
        "  greeting: `Hello ${contact.name || 'there'}!`,",
        '  plan: contact.custom_fields.plan, tags: contact.tags,',
        '  agent: agent.name, org: organization.name, total: input.qty * input.price,',
        '  message: message.text,',
        '};',
      ].join('\n'),
    );
    const res = await run(id, {
      contact_id: contact._id,
      message: { text: 'hello', type: 'text' },
      agent: { name: 'Ravi' },
      input: { qty: 3, price: 250 },
    });
    expect(res.statusCode).toBe(200);
    const data = res.json().data;
    expect(data).toMatchObject({
      outcome: 'ok',
      error: null,
      logs: ['for Asha'],
      result: {
        formatted_phone: '09876543210',
        greeting: 'Hello Asha!',
        plan: 'gold',
        tags: ['vip'],
        agent: 'Ravi',
        org: 'Acme',
        total: 750,
        message: 'hello',
      },
    });
    expect(typeof data.duration_ms).toBe('number');
    expect(typeof data.run_id).toBe('string');

    const none = await run(id, {});
    expect(none.json().data.error).toMatchObject({ type: 'runtime', line: 1 });
    expect(none.json().data.error.message).toMatch(/TypeError/);
    expect((await run(id, { contact_id: randomUUID() })).statusCode).toBe(404);
  });

  it('reports runtime errors with their line, timeouts and results that cannot be returned, as 200s', async () => {
    const thrower = await action("const x = 1;\n\nthrow new Error('no stock for ' + x);");
    expect((await run(thrower)).json().data.error).toEqual({
      type: 'runtime',
      message: 'Error: no stock for 1',
      line: 3,
      column: 7,
    });
    const slow = await action('while (true) {}');
    const timeout = await run(slow);
    expect(timeout.statusCode).toBe(200);
    expect(timeout.json().data).toMatchObject({
      outcome: 'error',
      result: null,
      error: { type: 'timeout' },
    });
    const cyclic = await action('const o = {}; o.self = o; return o;');
    expect((await run(cyclic)).json().data.error).toMatchObject({ type: 'output' });
    const bomb = await action("const a = []; while (true) a.push('x'.repeat(1000) + a.length);");
    expect((await run(bomb)).json().data.error).toMatchObject({ type: 'memory' });
    // The sandbox lives on after both.
    expect((await run(await action('return 7'))).json().data.result).toBe(7);
  });

  it('disables an action that crashes its sandbox process again and again, with the reason', async () => {
    const id = await action('return new Array(2 ** 28).fill(0).length');
    for (let i = 0; i < 3; i++) {
      expect((await run(id)).json().data.error).toMatchObject({ type: 'crashed' });
    }
    const shown = (await t.call({ method: 'GET', url: `/api/actions/${id}` })).json().data;
    expect(shown.disabled_reason).toMatch(/crashed its sandbox process in 3 runs in a row/);
    const refused = await run(id);
    expect(refused.statusCode).toBe(409);
    expect(refused.json().message ?? JSON.stringify(refused.json())).toMatch(/disabled/);
    const fixed = await t.call({
      method: 'PATCH',
      url: `/api/actions/${id}`,
      payload: { code: 'return 5' },
    });
    expect(fixed.json().data.disabled_reason).toBeNull();
    expect((await run(id)).json().data.result).toBe(5);
  });

  it('records every run with its caller, outcome and duration, newest first', async () => {
    const id = await action('if (input && input.fail) throw new Error("asked to"); return 1');
    await run(id, {});
    await run(id, { input: { fail: true } });
    await run(id, {});
    const page = await t.call({ method: 'GET', url: `/api/actions/${id}/runs?limit=2` });
    expect(page.statusCode).toBe(200);
    const { runs, next_cursor } = page.json().data;
    expect(runs.map((r: { outcome: string }) => r.outcome)).toEqual(['ok', 'runtime']);
    expect(runs[1]).toMatchObject({
      caller: { type: 'api', id: t.org.api_key.id },
      error: 'Error: asked to',
    });
    const rest = await t.call({
      method: 'GET',
      url: `/api/actions/${id}/runs?limit=2&before_time=${next_cursor.before_time}&before_id=${next_cursor.before_id}`,
    });
    expect(rest.json().data.runs.map((r: { outcome: string }) => r.outcome)).toEqual(['ok']);
    expect(rest.json().data.next_cursor).toBeNull();
  });

  it("keeps each organization's actions to itself", async () => {
    const id = await action('return 1');
    const other = await t.app.store.organizations.create('Other');
    const key = await t.app.store.apiKeys.create(other._id, { name: 'k' });
    const headers = { 'x-api-key': key.key };
    for (const [method, url] of [
      ['GET', `/api/actions/${id}`],
      ['POST', `/api/actions/${id}/run`],
      ['GET', `/api/actions/${id}/runs`],
      ['DELETE', `/api/actions/${id}`],
    ] as const) {
      const res = await t.app.inject({
        method,
        url,
        headers,
        ...(method === 'POST' ? { payload: {} } : {}),
      });
      expect(res.statusCode).toBe(404);
    }
    expect(
      (await t.app.inject({ method: 'GET', url: '/api/actions', headers })).json().data,
    ).toEqual([]);
  });
});

import { ServiceError } from '@temporalio/client';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMetaSimulator, type MetaSimulator } from '../../sim/meta';
import { createTestApp, type TestApp } from '../support/app';

let sim: MetaSimulator;
let t: TestApp;
let port: number;
beforeAll(async () => {
  // Real accounts are checked at Meta before they are stored: the simulator stands in for it.
  sim = await createMetaSimulator({ accessToken: 'sim-token', appSecret: 'sim-secret' });
  t = await createTestApp({
    env: {
      RATE_LIMIT_PER_SECOND: '1000',
      RATE_LIMIT_PER_MINUTE: '100000',
      META_GRAPH_URL: sim.url,
    },
  });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  port = (t.app.server.address() as AddressInfo).port;
});
afterAll(async () => {
  await t.close();
  await sim.close();
});

/** A raw HTTP/1.1 exchange, for what Node's parser refuses before Fastify sees it. */
function raw(path: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('errors every route shares', () => {
  it('answers a method the route does not have with 405 and Allow', async () => {
    const res = await t.call({ method: 'PATCH', url: '/api/contacts' });
    expect(res.statusCode).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD, POST');
    expect(res.json()).toEqual({
      message: 'Method PATCH is not allowed on /api/contacts; allowed: GET, HEAD, POST',
      status: 'error',
      code: 'method_not_allowed',
    });
    const one = await t.call({ method: 'POST', url: '/api/contacts/some-id' });
    expect(one.statusCode).toBe(405);
    expect(one.headers.allow).toBe('DELETE, GET, HEAD, PUT');
  });

  it('still answers a path no route has with 404', async () => {
    const res = await t.call({ method: 'PATCH', url: '/api/nowhere/at/all' });
    expect(res.statusCode).toBe(404);
  });

  it('answers a path segment over 100 characters with 414 in the envelope', async () => {
    const res = await raw(`/api/contacts/${'a'.repeat(150)}`, { 'x-api-key': t.org.api_key.key });
    expect(res.status).toBe(414);
    expect(JSON.parse(res.body)).toEqual({
      message: 'URI too long: a path segment is over 100 characters',
      status: 'error',
      code: 'uri_too_long',
    });
  });

  it('answers oversized headers with 431 in the envelope', async () => {
    const res = await raw('/api/health', { 'x-filler': 'f'.repeat(20_000) });
    expect(res.status).toBe(431);
    expect(JSON.parse(res.body)).toEqual({
      message: 'Request headers are too large',
      status: 'error',
      code: 'headers_too_large',
    });
  });

  it('answers an unknown id of any shape with 404', async () => {
    for (const url of [
      '/api/contacts/000000000000000000000000',
      '/api/contacts/not-a-uuid',
      '/api/accounts/42',
      '/api/webhook-endpoints/x/deliveries',
      '/api/transfers/%E2%9C%93',
    ]) {
      const res = await t.call({ method: 'GET', url });
      expect({ url, status: res.statusCode }).toEqual({ url, status: 404 });
      expect(res.json().status).toBe('error');
    }
  });

  it('answers 503 with Retry-After when Temporal does not answer in time', async () => {
    const deadline = Object.assign(new Error('4 DEADLINE_EXCEEDED: Deadline exceeded'), {
      code: 4,
      details: 'Deadline exceeded',
      metadata: {},
    });
    const execute = jest
      .spyOn(t.app.temporal.workflow, 'execute')
      .mockRejectedValue(new ServiceError('Failed to start workflow', { cause: deadline }));
    try {
      const res = await t.call({ method: 'POST', url: '/api/templates/sync', payload: {} });
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBe('5');
      expect(res.json().message).toMatch(/Temporal/);
    } finally {
      execute.mockRestore();
    }
  });
});

describe('text no store can hold', () => {
  const nulKey = { 'a\u0000b': 'x' };

  it('refuses a NUL in a custom field name with 400 naming it, on create and update', async () => {
    const created = await t.call({
      method: 'POST',
      url: '/api/contacts',
      payload: { phone_number: '+14155558001', custom_fields: nulKey },
    });
    expect(created.statusCode).toBe(400);
    expect(created.json().message).toMatch(/body\.custom_fields \(a key\): must not contain a NUL/);

    const ok = await t.call({
      method: 'POST',
      url: '/api/contacts',
      payload: { phone_number: '+14155558002' },
    });
    const id = ok.json().data.id as string;
    const updated = await t.call({
      method: 'PUT',
      url: `/api/contacts/${id}`,
      payload: { custom_fields: nulKey },
    });
    expect(updated.statusCode).toBe(400);
    expect(updated.json().message).toMatch(/custom_fields/);
    const search = await t.call({ method: 'GET', url: '/api/contacts?search=a%00b' });
    expect(search.statusCode).toBe(400);
    expect(search.json().message).toMatch(/querystring\.search/);
  });

  it('fails only the bad row of a bulk import, naming the field', async () => {
    const res = await t.call({
      method: 'POST',
      url: '/api/contacts/bulk',
      payload: {
        contacts: [
          { phone_number: '+14155558101', name: 'First' },
          { phone_number: '+14155558102', custom_fields: nulKey },
          { phone_number: '+14155558103', name: 'Na\u0000me' },
          { phone_number: '+14155558104', name: 'Last' },
        ],
      },
    });
    expect(res.statusCode).toBe(200);
    const results = res.json().data.results as { status: string; error?: string }[];
    expect(results.map((r) => r.status)).toEqual(['created', 'error', 'error', 'created']);
    expect(results[1]!.error).toMatch(/^custom_fields: /);
    expect(results[2]!.error).toMatch(/^name: /);
    const org = t.org.organization.id;
    expect(await t.app.store.contacts.findByPhone(org, '+14155558102')).toBeNull();
    expect(await t.app.store.contacts.findByPhone(org, '+14155558104')).not.toBeNull();
  });
});

describe('accounts', () => {
  it('generates a webhook verify token when none is given and shows it once', async () => {
    const phoneNumberId = String(Date.now());
    const registered = await fetch(`${sim.url}/_sim/phone-numbers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ phoneNumberId, accessToken: 'EAAG-token' }),
    });
    expect(registered.status).toBe(201);
    const res = await t.call({
      method: 'POST',
      url: '/api/accounts',
      payload: {
        name: 'No token given',
        phone_number_id: phoneNumberId,
        waba_id: '123',
        access_token: 'EAAG-token',
        app_secret: 'secret',
      },
    });
    expect(res.statusCode).toBe(201);
    const token = res.json().data.webhook_verify_token as string;
    expect(token).toMatch(/^[\w-]{24,}$/);
    const account = await t.app.store.accounts.findByVerifyToken(token);
    expect(account?._id).toBe(res.json().data.id);
    const again = await t.call({ method: 'GET', url: `/api/accounts/${account!._id}` });
    expect(again.json().data.webhook_verify_token).toBeUndefined();
    expect(again.json().data.webhook_verify_token_set).toBe(true);
  });
});

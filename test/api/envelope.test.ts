import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { createTestApp, type TestApp } from '../support/app';

let t: TestApp;
/** Every error answer the tests of this file get. */
const errorAnswers: { request: string; body: unknown }[] = [];

beforeAll(async () => {
  t = await createTestApp({
    env: { RATE_LIMIT_PER_SECOND: '1000', RATE_LIMIT_PER_MINUTE: '100000' },
    beforeReady: (app) => {
      app.get('/api/test/boom', () => {
        throw new Error('database password is hunter2');
      });
    },
  });
  // Every answer goes through inject: record the errors among them.
  const inject = t.app.inject.bind(t.app) as (o: InjectOptions) => Promise<LightMyRequestResponse>;
  const recording = async (o: InjectOptions) => {
    const res = await inject(o);
    if (res.statusCode >= 400) {
      errorAnswers.push({ request: `${o.method} ${JSON.stringify(o.url)}`, body: res.json() });
    }
    return res;
  };
  t.app.inject = recording as unknown as typeof t.app.inject;
});
afterAll(() => t.close());

describe('envelope and errors', () => {
  it('wraps success in {data, status}', async () => {
    const res = await t.call({ method: 'GET', url: '/api/api-keys' });
    expect(res.json()).toMatchObject({ status: 'success', data: { api_keys: expect.any(Array) } });
  });

  it('names the invalid field', async () => {
    const res = await t.call({ method: 'POST', url: '/api/api-keys', payload: { name: 42 } });
    expect(res.statusCode).toBe(400);
    expect(res.json().status).toBe('error');
    expect(res.json().message).toMatch(/^Invalid request: body\.name: /);
  });

  it('names a missing field and a bad nested one', async () => {
    const res = await t.call({
      method: 'POST',
      url: '/api/api-keys',
      payload: { rate_limit: { per_minute: -1, per_second: 5 } },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toContain('body.name');
    expect(res.json().message).toContain('body.rate_limit.per_minute');
  });

  it('answers 404 in the envelope for an id that names nothing, whatever its shape', async () => {
    // Ids are looked up as given: a malformed one is just one that names nothing.
    for (const id of ['not-a-uuid', '7df20df5-0202-4173-90df-730901e4087e', 'in:wamid.x']) {
      const res = await t.call({
        method: 'DELETE',
        url: `/api/api-keys/${encodeURIComponent(id)}`,
      });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual({
        message: expect.any(String),
        status: 'error',
        code: 'not_found',
      });
    }
  });

  it('answers unknown routes with 404 in the envelope', async () => {
    const res = await t.call({ method: 'GET', url: '/api/nothing-here?x=1' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({
      message: 'Route GET /api/nothing-here not found',
      status: 'error',
      code: 'route_not_found',
    });
  });

  it('refuses a body over 5 MB with 413', async () => {
    const res = await t.call({
      method: 'POST',
      url: '/api/api-keys',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ name: 'x'.repeat(5 * 1024 * 1024) }),
    });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toEqual({
      message: 'Request body is too large: the limit is 5 MB',
      status: 'error',
      code: 'payload_too_large',
    });
  });

  it('refuses a non-JSON body with 415', async () => {
    const res = await t.call({
      method: 'POST',
      url: '/api/api-keys',
      headers: { 'content-type': 'text/plain' },
      payload: 'name=x',
    });
    expect(res.statusCode).toBe(415);
    expect(res.json().message).toBe('Unsupported Content-Type: send the body as application/json');
  });

  it('refuses malformed JSON with 400', async () => {
    const res = await t.call({
      method: 'POST',
      url: '/api/api-keys',
      headers: { 'content-type': 'application/json' },
      payload: '{"name": ',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      message: 'Body is not valid JSON',
      status: 'error',
      code: 'invalid_json',
    });
  });

  it('hides internal errors behind a plain 500', async () => {
    const res = await t.call({ method: 'GET', url: '/api/test/boom' });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({
      message: 'Internal server error',
      status: 'error',
      code: 'internal_error',
    });
    expect(res.body).not.toMatch(/hunter2|at .*\.ts/);
  });
});

describe('health, readiness and docs', () => {
  it('answers liveness and readiness without a key', async () => {
    const health = await t.app.inject({ method: 'GET', url: '/api/health' });
    expect(health.json()).toEqual({ data: { status: 'ok' }, status: 'success' });
    const ready = await t.app.inject({ method: 'GET', url: '/api/ready' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ data: { database: 'ok', temporal: 'ok' }, status: 'success' });
  });

  it('publishes an OpenAPI document generated from the schemas', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/api-keys', '/api/api-keys/{id}', '/api/auth/login']),
    );
    const create = doc.paths['/api/api-keys'].post;
    const body = create.requestBody.content['application/json'].schema;
    expect(body.required).toContain('name');
    expect(create.responses['201']).toBeDefined();
    expect(doc.components.securitySchemes.apiKey).toMatchObject({
      in: 'header',
      name: 'X-API-Key',
    });
  });

  it('serves the interactive docs', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/docs/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
  });
});

describe('error codes', () => {
  it('gives every error answer above a machine-readable code', () => {
    expect(errorAnswers.length).toBeGreaterThanOrEqual(8);
    for (const { request, body } of errorAnswers) {
      expect({ request, code: typeof (body as { code?: unknown }).code }).toEqual({
        request,
        code: 'string',
      });
    }
  });

  it('documents the code in the OpenAPI error schema', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
    const answer = doc.paths['/api/api-keys'].post.responses['400'].content['application/json'];
    const schema = answer.schema.$ref
      ? doc.components.schemas[answer.schema.$ref.split('/').pop()]
      : answer.schema;
    expect(schema.required).toEqual(expect.arrayContaining(['message', 'status', 'code']));
    expect(schema.properties.code.type).toBe('string');
  });
});

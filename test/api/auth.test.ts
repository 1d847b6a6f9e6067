import { provisionOrganization } from '../../scripts/provision';
import { createTestApp, type TestApp } from '../support/app';
import { openRawStore } from '../support/raw-store';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

// Failed attempts are rate limited per client address; each call here comes from its own.
let caller = 0;
const me = (headers: Record<string, string> = {}) =>
  t.app.inject({
    method: 'GET',
    url: '/api/auth/me',
    headers,
    remoteAddress: `10.0.${caller >> 8}.${caller++ & 255}`,
  });

describe('API key authentication', () => {
  it('accepts a valid key and resolves its organization', async () => {
    const res = await me({ 'x-api-key': t.org.api_key.key });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      data: {
        organization_id: t.org.organization.id,
        principal: { kind: 'api_key', key_id: t.org.api_key.id },
      },
      status: 'success',
    });
  });

  it.each([
    ['missing', {}, 'Missing API key: send it in the X-API-Key header'],
    ['unknown', { 'x-api-key': 'wf_not-a-real-key' }, 'Invalid API key'],
    ['malformed', { 'x-api-key': 'hello' }, 'Invalid API key'],
  ])('refuses a %s key with 401', async (_what, headers, message) => {
    const res = await me(headers);
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({ message, status: 'error', code: 'unauthorized' });
  });

  it('refuses an expired key', async () => {
    const { key } = await t.app.store.apiKeys.create(t.org.organization.id, {
      name: 'short-lived',
      expiresAt: new Date(Date.now() - 1_000),
    });
    const res = await me({ 'x-api-key': key });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({
      message: 'Invalid API key: it has expired',
      status: 'error',
      code: 'unauthorized',
    });
  });

  it('refuses a key as soon as it is revoked', async () => {
    const created = await t.call({ method: 'POST', url: '/api/api-keys', payload: { name: 'ci' } });
    expect(created.statusCode).toBe(201);
    const { id, key } = created.json().data;
    expect((await me({ 'x-api-key': key })).statusCode).toBe(200); // now cached

    const revoked = await t.call({ method: 'DELETE', url: `/api/api-keys/${id}` });
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json().data).toMatchObject({ id, status: 'revoked' });

    const res = await me({ 'x-api-key': key });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({
      message: 'Invalid API key: it has been revoked',
      status: 'error',
      code: 'unauthorized',
    });
  });

  it('refuses before reading the body', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/api-keys',
      headers: { 'content-type': 'application/json' },
      payload: '{not json',
    });
    expect(res.statusCode).toBe(401);
  });
});

describe('API keys', () => {
  it('shows the key once, stores only a hash, and lists without secrets', async () => {
    const expires = new Date(Date.now() + 86_400_000).toISOString();
    const res = await t.call({
      method: 'POST',
      url: '/api/api-keys',
      payload: { name: 'CRM Integration', expires_at: expires },
    });
    expect(res.statusCode).toBe(201);
    const created = res.json().data;
    expect(created.key).toMatch(/^wf_[A-Za-z0-9_-]{43}$/);
    expect(created).toMatchObject({
      name: 'CRM Integration',
      status: 'active',
      expires_at: expires,
    });
    expect(created.key.startsWith(created.prefix)).toBe(true);

    const raw = openRawStore(t.app.config);
    try {
      const stored = await raw.find('api_keys', { _id: created.id });
      expect(stored).toHaveLength(1);
      expect(JSON.stringify(stored)).not.toContain(created.key);
    } finally {
      await raw.close();
    }

    const list = await t.call({ method: 'GET', url: '/api/api-keys' });
    expect(list.statusCode).toBe(200);
    expect(list.body).not.toContain(created.key);
    const listed = list.json().data.api_keys.find((k: { id: string }) => k.id === created.id);
    expect(listed).toMatchObject({ name: 'CRM Integration', prefix: created.prefix });
    expect(listed).not.toHaveProperty('key');
  });

  it('refuses an expiry in the past', async () => {
    const res = await t.call({
      method: 'POST',
      url: '/api/api-keys',
      payload: { name: 'x', expires_at: '2001-01-01T00:00:00Z' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toBe('expires_at must be in the future');
  });

  it("never shows or touches another organization's keys", async () => {
    const other = await provisionOrganization(t.app.store, { name: 'Globex' });
    const asOther = { 'x-api-key': other.api_key.key };

    const list = await t.app.inject({ method: 'GET', url: '/api/api-keys', headers: asOther });
    const ids = list.json().data.api_keys.map((k: { id: string }) => k.id);
    expect(ids).toEqual([other.api_key.id]);

    const del = await t.app.inject({
      method: 'DELETE',
      url: `/api/api-keys/${t.org.api_key.id}`,
      headers: asOther,
    });
    expect(del.statusCode).toBe(404);
    expect((await me({ 'x-api-key': t.org.api_key.key })).statusCode).toBe(200);
  });
});

describe('cookie sessions', () => {
  const login = (email: string, password: string) =>
    t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email, password } });

  it('logs in with an HttpOnly SameSite cookie that works like a key, until logout', async () => {
    const res = await login(t.org.user!.email, t.password);
    expect(res.statusCode).toBe(200);
    expect(res.json().data).toMatchObject({
      organization_id: t.org.organization.id,
      user: { id: t.org.user!.id, email: t.org.user!.email },
    });
    const cookie = res.cookies.find((c) => c.name === 'waflow_session')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/api' });
    const session = { cookie: `waflow_session=${cookie.value}` };

    const who = await me(session);
    expect(who.statusCode).toBe(200);
    expect(who.json().data.principal).toEqual({ kind: 'session', user_id: t.org.user!.id });
    const keys = await t.app.inject({ method: 'GET', url: '/api/api-keys', headers: session });
    expect(keys.statusCode).toBe(200);

    const out = await t.app.inject({ method: 'POST', url: '/api/auth/logout', headers: session });
    expect(out.statusCode).toBe(200);
    expect(out.json().data).toEqual({ logged_out: true });
    expect(out.cookies.find((c) => c.name === 'waflow_session')?.value).toBe('');

    const after = await me(session);
    expect(after.statusCode).toBe(401);
    expect(after.json().message).toBe('Session expired or invalid: log in again');
  });

  it('refuses a wrong password and an unknown email alike', async () => {
    for (const res of [
      await login(t.org.user!.email, 'wrong password'),
      await login('nobody@acme.test', t.password),
    ]) {
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual({
        message: 'Invalid email or password',
        status: 'error',
        code: 'unauthorized',
      });
      expect(res.cookies).toHaveLength(0);
    }
  });

  it('refuses an expired session', async () => {
    const { token } = await t.app.store.sessions.create(t.org.organization.id, t.org.user!.id, -1);
    expect((await me({ cookie: `waflow_session=${token}` })).statusCode).toBe(401);
  });
});

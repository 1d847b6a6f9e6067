import type { FastifyInstance } from 'fastify';
import { createTestApp, type TestApp } from '../support/app';

let t: TestApp;
let now = Date.parse('2026-01-01T00:00:00Z');
beforeAll(async () => {
  t = await createTestApp({ now: () => now });
});
afterAll(() => t.close());

const get = (key = t.org.api_key.key) =>
  t.app.inject({ method: 'GET', url: '/api/api-keys', headers: { 'x-api-key': key } });

const freshKey = async (rateLimit?: { per_minute: number; per_second: number }) => {
  const res = await t.call({
    method: 'POST',
    url: '/api/api-keys',
    payload: { name: 'rl', rate_limit: rateLimit },
  });
  return res.json().data.key as string;
};

describe('rate limit per API key', () => {
  it('sends the headers on every answer, counting down', async () => {
    const key = await freshKey();
    const first = await get(key);
    expect(first.headers['x-ratelimit-limit']).toBe('100');
    expect(first.headers['x-ratelimit-remaining']).toBe('99');
    expect(first.headers['x-ratelimit-reset']).toBe(String(Math.ceil((now + 60_000) / 1000)));
    const second = await get(key);
    expect(second.headers['x-ratelimit-remaining']).toBe('98');
  });

  it('answers the 11th request in one second with 429 and Retry-After', async () => {
    const key = await freshKey();
    now += 120_000;
    for (let i = 0; i < 10; i++) expect((await get(key)).statusCode).toBe(200);
    const res = await get(key);
    expect(res.statusCode).toBe(429);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.headers['x-ratelimit-remaining']).toBe('90');
    expect(res.json()).toEqual({
      message: 'Rate limit exceeded. Try again in 1 second.',
      status: 'error',
      code: 'rate_limited',
    });
    now += 1_000;
    expect((await get(key)).statusCode).toBe(200);
  });

  it('answers the 101st request in one minute with 429 until the minute ends', async () => {
    const key = await freshKey();
    // Windows are aligned on the clock: this one starts on a minute.
    now += 120_000 - (now % 60_000);
    for (let i = 0; i < 100; i++) {
      expect((await get(key)).statusCode).toBe(200);
      now += 250;
    }
    const res = await get(key); // 25 s after the first
    expect(res.statusCode).toBe(429);
    expect(res.headers['retry-after']).toBe('35');
    expect(res.headers['x-ratelimit-remaining']).toBe('0');
    expect(res.json().message).toBe('Rate limit exceeded. Try again in 35 seconds.');
    now += 35_000;
    const after = await get(key);
    expect(after.statusCode).toBe(200);
    expect(after.headers['x-ratelimit-remaining']).toBe('99');
  });

  it('limits each key on its own and honours a per-key limit', async () => {
    const a = await freshKey({ per_minute: 3, per_second: 3 });
    const b = await freshKey();
    now += 120_000;
    for (let i = 0; i < 3; i++) expect((await get(a)).statusCode).toBe(200);
    const refused = await get(a);
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['x-ratelimit-limit']).toBe('3');
    expect((await get(b)).statusCode).toBe(200);
  });

  it("refuses a key limit above the organization's ceiling, naming the field", async () => {
    const create = (rateLimit: { per_minute: number; per_second: number }) =>
      t.call({
        method: 'POST',
        url: '/api/api-keys',
        payload: { name: 'rl', rate_limit: rateLimit },
      });
    const perMinute = await create({ per_minute: 1_000_000, per_second: 10 });
    expect(perMinute.statusCode).toBe(400);
    expect(perMinute.json().message).toBe(
      "rate_limit.per_minute: at most 100, the organization's ceiling",
    );
    const perSecond = await create({ per_minute: 100, per_second: 11 });
    expect(perSecond.statusCode).toBe(400);
    expect(perSecond.json().message).toContain('rate_limit.per_second: at most 10');
    expect((await create({ per_minute: 100, per_second: 10 })).statusCode).toBe(201);
  });

  it('holds a key stored with higher limits to the ceiling', async () => {
    const { key } = await t.app.store.apiKeys.create(t.org.organization.id, {
      name: 'old',
      rateLimit: { per_minute: 1_000_000, per_second: 100_000 },
    });
    now += 120_000;
    for (let i = 0; i < 10; i++) expect((await get(key)).statusCode).toBe(200);
    const res = await get(key);
    expect(res.statusCode).toBe(429);
    expect(res.headers['x-ratelimit-limit']).toBe('100');
  });

  it('also limits failed authentication attempts, per client address', async () => {
    now += 120_000;
    const attempt = (ip: string) =>
      t.app.inject({
        method: 'GET',
        url: '/api/api-keys',
        headers: { 'x-api-key': 'wf_guess' },
        remoteAddress: ip,
      });
    for (let i = 0; i < 10; i++) expect((await attempt('192.0.2.7')).statusCode).toBe(401);
    expect((await attempt('192.0.2.7')).statusCode).toBe(429);
    expect((await attempt('192.0.2.8')).statusCode).toBe(401);
  });

  it('does not limit health checks', async () => {
    for (let i = 0; i < 15; i++) {
      const res = await t.app.inject({ method: 'GET', url: '/api/health' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['x-ratelimit-limit']).toBeUndefined();
    }
  });
});

describe('failed logins', () => {
  const login = (email: string, password: string, ip: string) =>
    t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email, password },
      remoteAddress: ip,
    });

  it('are throttled per email, from whatever address they come', async () => {
    now += 120_000;
    const email = t.org.user!.email;
    for (let i = 1; i <= 10; i++) {
      expect((await login(email, 'wrong password', `198.51.100.${i}`)).statusCode).toBe(401);
    }
    // The email in another case is the same user; the right password waits too.
    const refused = await login(email.toUpperCase(), t.password, '198.51.100.11');
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBe('900');
    expect((await login('nobody@acme.test', 'wrong password', '198.51.100.12')).statusCode).toBe(
      401,
    );
    now += 15 * 60_000;
    expect((await login(email, t.password, '198.51.100.13')).statusCode).toBe(200);
  });

  it('start counting again after a successful login', async () => {
    now += 120_000;
    const email = t.org.user!.email;
    for (let i = 1; i <= 9; i++) await login(email, 'wrong password', `203.0.113.${i}`);
    expect((await login(email, t.password, '203.0.113.10')).statusCode).toBe(200);
    expect((await login(email, 'wrong password', '203.0.113.11')).statusCode).toBe(401);
    expect((await login(email, t.password, '203.0.113.12')).statusCode).toBe(200);
  });
});

describe('client address behind proxies', () => {
  const ipRoute = (app: FastifyInstance) => {
    app.get('/api/test/ip', { config: { public: true } }, (request) => ({ ip: request.ip }));
  };
  const ipOf = async (app: TestApp, from: string, forwardedFor: string) =>
    (
      await app.app.inject({
        method: 'GET',
        url: '/api/test/ip',
        remoteAddress: from,
        headers: { 'x-forwarded-for': forwardedFor },
      })
    ).json().ip as string;

  it('ignores X-Forwarded-For unless TRUST_PROXY says which proxies to believe', async () => {
    const apps = await Promise.all([
      createTestApp({ beforeReady: ipRoute }),
      createTestApp({ beforeReady: ipRoute, env: { TRUST_PROXY: '1' } }),
      createTestApp({ beforeReady: ipRoute, env: { TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' } }),
    ]);
    try {
      const [untrusting, oneHop, listed] = apps;
      expect(await ipOf(untrusting, '192.0.2.7', '203.0.113.9')).toBe('192.0.2.7');
      expect(await ipOf(oneHop, '192.0.2.7', '203.0.113.9')).toBe('203.0.113.9');
      // One hop: only the address the proxy saw, not what the client put before it.
      expect(await ipOf(oneHop, '192.0.2.7', '198.51.100.1, 203.0.113.9')).toBe('203.0.113.9');
      expect(await ipOf(listed, '10.1.2.3', '203.0.113.9')).toBe('203.0.113.9');
      expect(await ipOf(listed, '192.0.2.7', '203.0.113.9')).toBe('192.0.2.7');
    } finally {
      await Promise.all(apps.map((a) => a.close()));
    }
  });

  it('so a client cannot escape the limit per address by naming other ones', async () => {
    now += 120_000;
    const attempt = (i: number) =>
      t.app.inject({
        method: 'GET',
        url: '/api/api-keys',
        headers: { 'x-api-key': 'wf_guess', 'x-forwarded-for': `198.51.100.${i}` },
        remoteAddress: '192.0.2.99',
      });
    for (let i = 0; i < 10; i++) expect((await attempt(i)).statusCode).toBe(401);
    expect((await attempt(10)).statusCode).toBe(429);
  });
});

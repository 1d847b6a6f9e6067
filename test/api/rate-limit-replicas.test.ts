import { createTestApp, type TestApp } from '../support/app';
import { STORE_KINDS } from '../support/store';

/** Several API processes: apps over one database, each with its own limiter, on one clock. */
describe.each(STORE_KINDS)('rate limits across API processes (%s)', (kind) => {
  let now = Date.parse('2026-02-01T08:00:00Z');
  let apps: TestApp[] = [];
  beforeAll(async () => {
    const env = {
      WAFLOW_STORE: kind,
      API_KEY_MAX_RATE_PER_MINUTE: '10000',
      API_KEY_MAX_RATE_PER_SECOND: '10000',
    };
    const first = await createTestApp({ now: () => now, env });
    const shared = {
      ...env,
      DATABASE_SCHEMA: first.app.config.postgres.schema,
      MONGODB_DB: first.app.config.mongo.db,
      ENCRYPTION_KEY: first.app.config.encryptionKey.toString('base64'),
    };
    const others = await Promise.all(
      [1, 2, 3].map(() => createTestApp({ now: () => now, env: shared })),
    );
    apps = [first, ...others];
  });
  afterAll(() => Promise.all(apps.map((a) => a.close())));

  const freshKey = async (rateLimit: { per_minute: number; per_second: number }) => {
    const res = await apps[0]!.call({
      method: 'POST',
      url: '/api/api-keys',
      payload: { name: 'replicas', rate_limit: rateLimit },
    });
    return res.json().data.key as string;
  };

  /**
   * `count` requests with the key, `concurrency` at a time, request i to app split(i); the
   * successes, and the refusals' Retry-After and X-RateLimit-Remaining.
   */
  async function send(
    key: string,
    count: number,
    split: (i: number) => number,
    concurrency = 4,
  ): Promise<{ ok: number; retryAfter: Set<string>; remaining: Set<string> }> {
    const result = { ok: 0, retryAfter: new Set<string>(), remaining: new Set<string>() };
    for (let i = 0; i < count; i += concurrency) {
      const batch = Array.from({ length: Math.min(concurrency, count - i) }, (_, j) =>
        apps[split(i + j)]!.app.inject({
          method: 'GET',
          url: '/api/api-keys',
          headers: { 'x-api-key': key },
        }),
      );
      for (const res of await Promise.all(batch)) {
        if (res.statusCode === 200) result.ok++;
        else {
          expect(res.statusCode).toBe(429);
          result.remaining.add(String(res.headers['x-ratelimit-remaining']));
          result.retryAfter.add(String(res.headers['retry-after']));
        }
      }
    }
    return result;
  }

  const splits: [string, number, (i: number) => number][] = [
    ['two, alternating', 2, (i) => i % 2],
    ['two, three to one', 2, (i) => (i % 4 === 3 ? 1 : 0)],
    ['four, round robin', 4, (i) => i % 4],
    ['four, uneven', 4, (i) => [0, 0, 1, 0, 2, 3, 0, 1][i % 8]!],
  ];

  it.each(splits)('lets exactly the minute quota through (%s)', async (_, _n, split) => {
    now += 120_000 - (now % 60_000);
    const key = await freshKey({ per_minute: 30, per_second: 10_000 });
    const sent = await send(key, 90, split);
    expect(sent.ok).toBe(30);
    // Refused until the minute ends.
    expect(sent.retryAfter).toEqual(new Set(['60']));
    expect(sent.remaining).toEqual(new Set(['0']));
    now += 59_000;
    expect((await send(key, 8, split)).ok).toBe(0);
    now += 1_000;
    expect((await send(key, 90, split)).ok).toBe(30);
  });

  it.each(splits)('and exactly the burst cap (%s)', async (_, _n, split) => {
    now += 120_000 - (now % 60_000);
    const key = await freshKey({ per_minute: 10_000, per_second: 7 });
    const sent = await send(key, 30, split);
    expect(sent.ok).toBe(7);
    expect(sent.retryAfter).toEqual(new Set(['1']));
    now += 1_000;
    expect((await send(key, 30, split)).ok).toBe(7);
  });

  it('counts failed logins of one email across processes', async () => {
    now += 120_000;
    const email = apps[0]!.org.user!.email;
    const login = (i: number, password: string) =>
      apps[i % apps.length]!.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { email, password },
        remoteAddress: `198.51.100.${i}`,
      });
    for (let i = 0; i < 10; i++) expect((await login(i, 'wrong password')).statusCode).toBe(401);
    for (let i = 0; i < apps.length; i++) {
      const refused = await login(i, apps[0]!.password);
      expect(refused.statusCode).toBe(429);
      expect(refused.headers['retry-after']).toBe('900');
    }
  });
});

import { RateLimiter } from '../../api/rate-limiter';
import type { RateWindowRepository } from '../../store/contract/rate-windows';

const limits = { perMinute: 100, perSecond: 10 };

/** Windows are aligned on the clock: this is the start of a minute. */
function clock(start = 1_700_000_040_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

/** The store's claims, as one process in memory would count them. */
function memoryWindows(): RateWindowRepository & { claims: number } {
  const claimed = new Map<string, number>();
  return {
    claims: 0,
    claim(window, blocks) {
      this.claims++;
      const key = `${window.key}|${window.start}`;
      const n = claimed.get(key) ?? 0;
      if (n >= blocks) return Promise.resolve(null);
      claimed.set(key, n + 1);
      return Promise.resolve(n);
    },
    purgeEnded: () => Promise.resolve(0),
  };
}

/** A limiter over its own store, with `hit` awaited. */
function limiterOn(now: () => number, windows: RateWindowRepository = memoryWindows()) {
  const limiter = new RateLimiter(windows, { now });
  return { hit: async (id: string, l: typeof limits) => limiter.hit(id, l) };
}

describe('RateLimiter', () => {
  it('counts down the minute quota and reports its reset time', async () => {
    const c = clock();
    const limiter = limiterOn(c.now);
    const first = await limiter.hit('k', limits);
    expect(first).toMatchObject({ allowed: true, limit: 100, remaining: 99 });
    expect(first.reset).toBe(Math.ceil((c.now() + 60_000) / 1000));
    expect((await limiter.hit('k', limits)).remaining).toBe(98);
  });

  it('refuses the 11th request within one second, for one second', async () => {
    const c = clock();
    const limiter = limiterOn(c.now);
    for (let i = 0; i < 10; i++) {
      expect((await limiter.hit('k', limits)).allowed).toBe(true);
      c.advance(50);
    }
    const eleventh = await limiter.hit('k', limits);
    expect(eleventh).toMatchObject({ allowed: false, retryAfter: 1, remaining: 90 });
    c.advance(550); // one second after the first request
    expect((await limiter.hit('k', limits)).allowed).toBe(true);
  });

  it('refuses the 101st request within one minute until the minute is over', async () => {
    const c = clock();
    const limiter = limiterOn(c.now);
    for (let i = 0; i < 100; i++) {
      expect((await limiter.hit('k', limits)).allowed).toBe(true);
      c.advance(200); // 5/s: never bursts
    }
    // 20 s have passed since the first request.
    const refused = await limiter.hit('k', limits);
    expect(refused).toMatchObject({ allowed: false, remaining: 0, retryAfter: 40 });
    c.advance(39_000);
    expect((await limiter.hit('k', limits)).allowed).toBe(false);
    c.advance(1_000);
    expect(await limiter.hit('k', limits)).toMatchObject({ allowed: true, remaining: 99 });
  });

  it('does not count refused requests', async () => {
    const c = clock();
    const limiter = limiterOn(c.now);
    for (let i = 0; i < 10; i++) await limiter.hit('k', limits);
    for (let i = 0; i < 5; i++) expect((await limiter.hit('k', limits)).allowed).toBe(false);
    c.advance(1_000);
    expect((await limiter.hit('k', limits)).remaining).toBe(89);
  });

  it('keeps clients apart and honours per-client limits', async () => {
    const c = clock();
    const limiter = limiterOn(c.now);
    for (let i = 0; i < 10; i++) await limiter.hit('a', limits);
    expect((await limiter.hit('a', limits)).allowed).toBe(false);
    expect((await limiter.hit('b', limits)).allowed).toBe(true);
    const big = { perMinute: 1000, perSecond: 50 };
    for (let i = 0; i < 50; i++) expect((await limiter.hit('c', big)).allowed).toBe(true);
    expect(await limiter.hit('c', big)).toMatchObject({ allowed: false, limit: 1000 });
  });
});

describe('RateLimiter over a shared store', () => {
  /** `n` processes' limiters over one store; request i goes to process split(i). */
  async function accepted(
    n: number,
    split: (i: number) => number,
    l: typeof limits,
    count: number,
  ) {
    const c = clock();
    const windows = memoryWindows();
    const processes = Array.from({ length: n }, () => limiterOn(c.now, windows));
    let ok = 0;
    for (let i = 0; i < count; i++) {
      if ((await processes[split(i)]!.hit('k', l)).allowed) ok++;
    }
    return ok;
  }

  it.each([
    ['alternating', 2, (i: number) => i % 2],
    ['three to one', 2, (i: number) => (i % 4 === 0 ? 1 : 0)],
    ['round robin', 4, (i: number) => i % 4],
    ['uneven', 4, (i: number) => [0, 0, 0, 1, 2, 0, 3, 1][i % 8]!],
  ])('lets exactly the minute quota through across processes (%s)', async (_, n, split) => {
    const l = { perMinute: 100, perSecond: 1_000 };
    expect(await accepted(n, split, l, 400)).toBe(100);
  });

  it('and exactly the burst cap', async () => {
    const l = { perMinute: 10_000, perSecond: 10 };
    expect(await accepted(4, (i) => (i * 7) % 4, l, 50)).toBe(10);
  });

  it('writes to the store once per block, not once per request', async () => {
    const c = clock();
    const windows = memoryWindows();
    const limiter = limiterOn(c.now, windows);
    const l = { perMinute: 1_000_000, perSecond: 100_000 };
    for (let i = 0; i < 1_000; i++) expect((await limiter.hit('k', l)).allowed).toBe(true);
    expect(windows.claims).toBe(2); // one block of each window
  });

  it('waits for one claim however many requests arrive meanwhile', async () => {
    const c = clock();
    const windows = memoryWindows();
    const limiter = limiterOn(c.now, windows);
    const l = { perMinute: 1_000, perSecond: 1_000 };
    const decisions = await Promise.all(Array.from({ length: 50 }, () => limiter.hit('k', l)));
    expect(decisions.every((d) => d.allowed)).toBe(true);
    expect(windows.claims).toBe(2);
  });

  it('counts in the process alone while the store does not answer, and says so once', async () => {
    const c = clock();
    const errors: unknown[] = [];
    const down: RateWindowRepository = {
      claim: () => Promise.reject(new Error('connection refused')),
      purgeEnded: () => Promise.resolve(0),
    };
    const limiter = new RateLimiter(down, { now: c.now, onStoreError: (e) => errors.push(e) });
    for (let i = 0; i < 10; i++) expect((await limiter.hit('k', limits)).allowed).toBe(true);
    expect((await limiter.hit('k', limits)).allowed).toBe(false);
    expect(errors).toHaveLength(1);
  });
});

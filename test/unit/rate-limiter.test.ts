import { RateLimiter } from '../../api/rate-limiter';

const limits = { perMinute: 100, perSecond: 10 };

function clock(start = 1_700_000_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('RateLimiter', () => {
  it('counts down the minute quota and reports its reset time', () => {
    const c = clock();
    const limiter = new RateLimiter(c.now);
    const first = limiter.hit('k', limits);
    expect(first).toMatchObject({ allowed: true, limit: 100, remaining: 99 });
    expect(first.reset).toBe(Math.ceil((c.now() + 60_000) / 1000));
    expect(limiter.hit('k', limits).remaining).toBe(98);
  });

  it('refuses the 11th request within one second, for one second', () => {
    const c = clock();
    const limiter = new RateLimiter(c.now);
    for (let i = 0; i < 10; i++) {
      expect(limiter.hit('k', limits).allowed).toBe(true);
      c.advance(50);
    }
    const eleventh = limiter.hit('k', limits);
    expect(eleventh).toMatchObject({ allowed: false, retryAfter: 1, remaining: 90 });
    c.advance(550); // one second after the first request
    expect(limiter.hit('k', limits).allowed).toBe(true);
  });

  it('refuses the 101st request within one minute until the minute is over', () => {
    const c = clock();
    const limiter = new RateLimiter(c.now);
    for (let i = 0; i < 100; i++) {
      expect(limiter.hit('k', limits).allowed).toBe(true);
      c.advance(200); // 5/s: never bursts
    }
    // 20 s have passed since the first request.
    const refused = limiter.hit('k', limits);
    expect(refused).toMatchObject({ allowed: false, remaining: 0, retryAfter: 40 });
    c.advance(39_000);
    expect(limiter.hit('k', limits).allowed).toBe(false);
    c.advance(1_000);
    expect(limiter.hit('k', limits)).toMatchObject({ allowed: true, remaining: 99 });
  });

  it('does not count refused requests', () => {
    const c = clock();
    const limiter = new RateLimiter(c.now);
    for (let i = 0; i < 10; i++) limiter.hit('k', limits);
    for (let i = 0; i < 5; i++) expect(limiter.hit('k', limits).allowed).toBe(false);
    c.advance(1_000);
    expect(limiter.hit('k', limits).remaining).toBe(89);
  });

  it('keeps clients apart and honours per-client limits', () => {
    const c = clock();
    const limiter = new RateLimiter(c.now);
    for (let i = 0; i < 10; i++) limiter.hit('a', limits);
    expect(limiter.hit('a', limits).allowed).toBe(false);
    expect(limiter.hit('b', limits).allowed).toBe(true);
    const big = { perMinute: 1000, perSecond: 50 };
    for (let i = 0; i < 50; i++) expect(limiter.hit('c', big).allowed).toBe(true);
    expect(limiter.hit('c', big)).toMatchObject({ allowed: false, limit: 1000 });
  });
});

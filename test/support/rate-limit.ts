/**
 * Sends `3 × limit` requests with `key`, four at a time, alternating between the API processes
 * at `urls`, and checks what a key's limit across processes means: no minute (told apart by
 * X-RateLimit-Reset, as the clock is real) lets more than `limit` through, the minute the
 * requests ran out in lets exactly `limit` through, and every refusal is a 429 with Retry-After.
 */
export async function expectLimitAcross(urls: string[], key: string, limit: number) {
  const windows = new Map<string, { ok: number; refused: number }>();
  for (let i = 0; i < 3 * limit; i += 4) {
    const answers = await Promise.all(
      [0, 1, 2, 3].map((j) =>
        fetch(`${urls[(i + j) % urls.length]!}/api/api-keys`, { headers: { 'x-api-key': key } }),
      ),
    );
    for (const res of answers) {
      const reset = res.headers.get('x-ratelimit-reset')!;
      const w = windows.get(reset) ?? { ok: 0, refused: 0 };
      windows.set(reset, w);
      if (res.status === 200) w.ok++;
      else {
        expect(res.status).toBe(429);
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
        w.refused++;
      }
    }
  }
  for (const w of windows.values()) expect(w.ok).toBeLessThanOrEqual(limit);
  const full = [...windows.values()].filter((w) => w.refused > 0);
  expect(full.length).toBeGreaterThan(0);
  for (const w of full) expect(w.ok).toBe(limit);
}

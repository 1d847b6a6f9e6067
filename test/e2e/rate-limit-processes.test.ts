import type { Config } from '../../lib/config';
import { provisionOrganization } from '../../scripts/provision';
import { openStore } from '../../store';
import { startApiProcess, type ApiProcess } from '../support/api-process';
import { testConfig } from '../support/config';

const LIMIT = 40;
const LIMITS_ALLOWED = { API_KEY_MAX_RATE_PER_MINUTE: '1000', API_KEY_MAX_RATE_PER_SECOND: '1000' };

/** Two API processes (dist/api/server.js: build first) over one PostgreSQL. */
describe('the rate limit of a key across two API processes', () => {
  let config: Config;
  let apis: ApiProcess[] = [];
  let key: string;
  beforeAll(async () => {
    config = testConfig({ WAFLOW_STORE: 'postgres', ...LIMITS_ALLOWED });
    const database = await openStore(config);
    try {
      const { organization } = await provisionOrganization(database.store, { name: 'Acme' });
      ({ key } = await database.store.apiKeys.create(organization.id, {
        name: 'replicas',
        rateLimit: { per_minute: LIMIT, per_second: 1000 },
      }));
    } finally {
      await database.close();
    }
    apis = await Promise.all([0, 1].map(() => startApiProcess(config, LIMITS_ALLOWED)));
  });
  afterAll(() => Promise.all(apis.map((a) => a.stop())));

  it('lets through exactly the limit, with requests alternating between them', async () => {
    // Each success and refusal under its minute (X-RateLimit-Reset): the clock is real here.
    const windows = new Map<string, { ok: number; refused: number }>();
    for (let i = 0; i < 3 * LIMIT; i += 4) {
      const answers = await Promise.all(
        [0, 1, 2, 3].map((j) =>
          fetch(`${apis[(i + j) % 2]!.url}/api/api-keys`, { headers: { 'x-api-key': key } }),
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
    for (const w of windows.values()) expect(w.ok).toBeLessThanOrEqual(LIMIT);
    // Whichever minute the requests ran out in let exactly the limit through.
    const full = [...windows.values()].filter((w) => w.refused > 0);
    expect(full.length).toBeGreaterThan(0);
    for (const w of full) expect(w.ok).toBe(LIMIT);
  });
});

import type { Config } from '../../lib/config';
import { provisionOrganization } from '../../scripts/provision';
import { openStore } from '../../store';
import { startApiProcess, type ApiProcess } from '../support/api-process';
import { testConfig } from '../support/config';
import { expectLimitAcross } from '../support/rate-limit';

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

  it('lets through exactly the limit, with requests alternating between them', () =>
    expectLimitAcross(
      apis.map((a) => a.url),
      key,
      LIMIT,
    ));
});

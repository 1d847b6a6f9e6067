import crypto from 'node:crypto';
import { signBody } from '../../sim/meta';
import { createTestApp, postMetaWebhook, type TestApp } from '../support/app';

/**
 * What checking Meta's signature costs: webhooks about a WABA Waflow does not have are checked
 * against every connected account's app secret, so the secrets are read once for a burst and
 * each distinct one is computed once per request; a request that cannot be signed costs no read.
 */
const SHARED = 'c1e3a5c7e9b1d3f5a7c9e1b3d5f7a9c1';
const OWN = 'd2f4b6d8f0a2c4e6b8d0f2a4c6e8b0d2';

const sign = signBody;

const accountWebhook = (...wabaIds: string[]) =>
  JSON.stringify({
    object: 'whatsapp_business_account',
    entry: wabaIds.map((id) => ({
      id,
      time: 1739321024,
      changes: [{ field: 'account_update', value: { event: 'VERIFIED_ACCOUNT', waba: id } }],
    })),
  });

let t: TestApp;
let reads: string[];
beforeAll(async () => {
  t = await createTestApp();
  const orgId = t.org.organization.id;
  // Three accounts of one Meta app (one secret), one of another app.
  for (const [i, appSecret] of [SHARED, SHARED, SHARED, OWN].entries()) {
    await t.app.store.accounts.create(orgId, {
      name: `Number ${i}`,
      phoneNumberId: `10654035224400${i}`,
      wabaId: `10229012934040${i}`,
      accessToken: 'EAAG',
      appSecret,
      verifyToken: `verify-${i}`,
    });
  }
  reads = [];
  const { accounts, inboundWebhooks } = t.app.store;
  for (const [repo, names] of [
    [accounts, ['findByPhoneNumberId', 'findByWabaId', 'listConnected']],
    [inboundWebhooks, ['saveMany']],
  ] as const) {
    for (const name of names) {
      const target = repo as unknown as Record<string, (...args: unknown[]) => unknown>;
      const real = target[name]!.bind(repo);
      target[name] = (...args) => {
        reads.push(name);
        return real(...args);
      };
    }
  }
});
afterAll(() => t?.close());
beforeEach(() => {
  reads.length = 0;
});

const post = (body: string, signature: string | null) => postMetaWebhook(t.app, body, signature);

describe('the signature of a webhook about a WABA Waflow does not have', () => {
  it('refuses a flood of unsigned and malformed-signature posts with 401 before any store read', async () => {
    const body = accountWebhook('999000111222333');
    const good = sign(body, SHARED);
    const signatures = [
      null,
      '',
      'garbage',
      'sha256=',
      `sha1=${good.slice(7, 47)}`,
      good.slice(0, -1),
      `${good}0`,
      good.toUpperCase(),
      `sha256=${'z'.repeat(64)}`,
    ];
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) => post(body, signatures[i % signatures.length]!)),
    );
    expect(answers.filter((res) => res.statusCode !== 401)).toEqual([]);
    expect(reads).toEqual([]);
  });

  it('reads the secrets once for a burst of wrongly signed posts, and refuses each with 401', async () => {
    const body = accountWebhook('999000111222334');
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => post(body, sign(body, `not-a-secret-${i}`))),
    );
    expect(answers.filter((res) => res.statusCode !== 401)).toEqual([]);
    // One lookup of the WABA and one of every connected account, shared by all 50.
    expect(reads.sort()).toEqual(['findByWabaId', 'listConnected']);
  });

  it('computes each distinct secret once per request, and keeps what it signed as unmatched', async () => {
    const unmatched = await t.app.store.metaEvents.countUnmatched();
    // Two entries, each about a WABA no account has: both checked against every secret.
    const body = accountWebhook('999000111222335', '999000111222336');
    // Signed before the spy counts: only the app's own HMACs are counted.
    const signature = sign(body, OWN);
    const hmac = jest.spyOn(crypto, 'createHmac');
    try {
      const res = await post(body, signature);
      expect(res.statusCode).toBe(200);
      const secrets = hmac.mock.calls
        .map(([, key]) => key)
        .filter((key) => key === SHARED || key === OWN);
      expect(secrets.sort()).toEqual([SHARED, OWN].sort());
    } finally {
      hmac.mockRestore();
    }
    await t.app.inbox.idle();
    expect(await t.app.store.metaEvents.countUnmatched()).toBe(unmatched + 2);
    // Processed at once: its entries are kept as unmatched Meta events, the webhook needs no row.
    expect(reads).not.toContain('saveMany');
  });
});

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { signBody } from '../../sim/meta';
import type { TemplateDoc } from '../../store/documents';
import { createTestApp, postMetaWebhook, type TestApp } from '../support/app';
import { openRawStore, type RawStore } from '../support/raw-store';
import { STORE_KINDS } from '../support/store';

/**
 * Meta's account-level webhooks (no phone number id, only the WABA in entry[].id) replayed as
 * Meta publishes them, through the real API, on both stores.
 */
const SECRET = 'b8d0e2f4a6c8e0b2d4f6a8c0e2b4d6f8';
const DIR = join(__dirname, '../fixtures/meta-webhooks');
const FIXTURES = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .map((file) => ({ file, body: readFileSync(join(DIR, file), 'utf8') }));
/** The WABAs and the phone number Meta's examples name. */
const DOCS_WABA = '102290129340398';
const OTHER_WABAS = ['2949482758682047', '524126980791429'];
const DOCS_NUMBER = '106540352242922';

const sign = (body: string, secret = SECRET) => signBody(body, secret);

const fieldOf = (body: string) =>
  (JSON.parse(body) as { entry: { changes: { field: string }[] }[] }).entry[0]!.changes[0]!.field;

function accountWebhook(wabaId: string, field: string, value: Record<string, unknown>) {
  return JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [{ id: wabaId, time: Math.floor(Date.now() / 1000), changes: [{ field, value }] }],
  });
}

describe.each(STORE_KINDS)('account-level webhooks from Meta, on %s', (kind) => {
  let t: TestApp;
  let raw: RawStore;
  let orgId: string;
  let accountId: string;

  beforeAll(async () => {
    t = await createTestApp({
      env: { WAFLOW_STORE: kind, RATE_LIMIT_PER_SECOND: '1000', RATE_LIMIT_PER_MINUTE: '10000' },
    });
    raw = openRawStore(t.app.config);
    orgId = t.org.organization.id;
    const main = await t.app.store.accounts.create(orgId, {
      name: 'Main',
      phoneNumberId: DOCS_NUMBER,
      wabaId: DOCS_WABA,
      displayPhoneNumber: '+1 555-078-3881',
      accessToken: 'EAAG',
      appSecret: SECRET,
      verifyToken: `verify-${kind}`,
    });
    accountId = main._id;
    for (const [i, wabaId] of OTHER_WABAS.entries()) {
      await t.app.store.accounts.create(orgId, {
        name: `Other ${i}`,
        phoneNumberId: `10654035224300${i}`,
        wabaId,
        accessToken: 'EAAG',
        appSecret: SECRET,
        verifyToken: `verify-${kind}-${i}`,
      });
    }
  });
  afterAll(async () => {
    await raw?.close();
    await t?.close();
  });

  async function post(body: string, signature: string | null = sign(body)) {
    const res = await postMetaWebhook(t.app, body, signature);
    await t.app.inbox.idle();
    return res;
  }

  const events = async (query = '') => {
    const res = await t.call({ method: 'GET', url: `/api/meta-events${query}` });
    expect(res.statusCode).toBe(200);
    return res.json().data.events as {
      field: string;
      waba_id: string;
      state: string;
      reason: string | null;
      value: Record<string, unknown>;
      received_at: string;
    }[];
  };

  const template = (over: Partial<TemplateDoc> = {}): TemplateDoc => ({
    _id: `${accountId}:order_confirmation:en-US`,
    org_id: orgId,
    account_id: accountId,
    meta_id: '1689556908129832',
    name: 'order_confirmation',
    language: 'en-US',
    category: 'UTILITY',
    status: 'APPROVED',
    components: [{ type: 'BODY', text: 'Thanks for order {{1}}' }],
    parameter_counts: { header: 0, body: 1, buttons: [] },
    header_format: null,
    quality_score: null,
    synced_at: new Date(),
    ...over,
  });

  it(`answers 200 to each of Meta's ${FIXTURES.length} published examples and keeps each with its field`, async () => {
    const answers: Record<string, number> = {};
    for (const { file, body } of FIXTURES) answers[file] = (await post(body)).statusCode;
    expect(Object.entries(answers).filter(([, status]) => status !== 200)).toEqual([]);

    const kept = await events('?limit=100');
    const fields = new Set(kept.map((e) => e.field));
    for (const { body } of FIXTURES) expect(fields).toContain(fieldOf(body));
    expect(kept.every((e) => [DOCS_WABA, ...OTHER_WABAS].includes(e.waba_id))).toBe(true);
    // The template examples name templates this organization never synced: kept, with why.
    const quality = kept.find((e) => e.field === 'message_template_quality_update');
    expect(quality).toMatchObject({
      state: 'unmatched',
      reason: expect.stringMatching(/No synced template welcome_template \(en-US\)/),
    });
    expect(kept.find((e) => e.field === 'account_alerts')).toMatchObject({
      state: 'stored',
      reason: null,
      value: { alert_info: expect.objectContaining({ alert_type: expect.any(String) }) },
    });
    // A redelivery is the same event.
    const before = kept.length;
    await post(FIXTURES.find((f) => f.file.startsWith('account_alerts'))!.body);
    expect((await events('?limit=100')).length).toBe(before);
  });

  it('refuses a bad signature with 401 and stores nothing', async () => {
    const body = accountWebhook(DOCS_WABA, 'account_update', { event: 'VERIFIED_ACCOUNT' });
    const stored = await raw.count('inbound_webhooks');
    for (const signature of [sign(body, 'not-the-secret'), sign(`${body} `), null]) {
      expect((await post(body, signature)).statusCode).toBe(401);
    }
    expect(await raw.count('inbound_webhooks')).toBe(stored);
  });

  it('keeps a webhook about a WABA or number Waflow does not have, with its reason', async () => {
    const unmatched = await t.app.store.metaEvents.countUnmatched();
    const foreign = accountWebhook('999000111222333', 'account_update', {
      event: 'ACCOUNT_VIOLATION',
    });
    expect((await post(foreign)).statusCode).toBe(200);
    expect(await t.app.store.metaEvents.countUnmatched()).toBe(unmatched + 1);
    // Not shown to an organization that does not own that WABA.
    expect((await events('?field=account_update')).map((e) => e.waba_id)).not.toContain(
      '999000111222333',
    );

    // A message for a number of our WABA that no account has: kept and shown to the WABA's owner.
    const message = JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: DOCS_WABA,
          changes: [
            {
              field: 'messages',
              value: {
                messaging_product: 'whatsapp',
                metadata: {
                  display_phone_number: '15550001111',
                  phone_number_id: '177000000000001',
                },
                messages: [
                  { from: '16505551234', id: 'wamid.x1', timestamp: '1739321024', type: 'text' },
                ],
              },
            },
          ],
        },
      ],
    });
    expect((await post(message)).statusCode).toBe(200);
    const [kept] = await events('?field=messages&state=unmatched');
    expect(kept).toMatchObject({
      waba_id: DOCS_WABA,
      reason: 'No account has phone number id 177000000000001',
    });
  });

  it('updates the stored template from its status, category and quality webhooks', async () => {
    await t.app.store.templates.upsert([template()]);
    const status = (event: string, extra: Record<string, unknown> = {}) =>
      accountWebhook(DOCS_WABA, 'message_template_status_update', {
        event,
        message_template_id: 1689556908129832,
        message_template_name: 'order_confirmation',
        message_template_language: 'en-US',
        reason: 'NONE',
        ...extra,
      });
    const stored = () =>
      t.app.store.templates.find(orgId, accountId, 'order_confirmation', 'en-US');

    // Processed when the inbox drained: no waiting for the hourly sync.
    expect((await post(status('PAUSED'))).statusCode).toBe(200);
    expect(await stored()).toMatchObject({ status: 'PAUSED' });
    expect((await post(status('REINSTATED'))).statusCode).toBe(200);
    expect(await stored()).toMatchObject({ status: 'APPROVED' });

    // By name and language when the id is not the one synced.
    await post(
      accountWebhook(DOCS_WABA, 'template_category_update', {
        message_template_id: 1,
        message_template_name: 'order_confirmation',
        message_template_language: 'en-US',
        previous_category: 'UTILITY',
        new_category: 'MARKETING',
      }),
    );
    await post(
      accountWebhook(DOCS_WABA, 'message_template_quality_update', {
        previous_quality_score: 'GREEN',
        new_quality_score: 'RED',
        message_template_id: 1689556908129832,
        message_template_name: 'order_confirmation',
        message_template_language: 'en-US',
      }),
    );
    expect(await stored()).toMatchObject({ category: 'MARKETING', quality_score: 'RED' });
    // The hourly sync keeps the quality when Meta's list gives none.
    await t.app.store.templates.upsert([template({ category: 'MARKETING' })]);
    expect(await stored()).toMatchObject({ quality_score: 'RED' });

    const applied = await events('?field=message_template_status_update&state=applied');
    expect(applied.map((e) => e.value.event)).toEqual(expect.arrayContaining(['PAUSED']));
  });

  it("applies the portfolio's messaging limit and quality webhooks to the WABA's accounts", async () => {
    const view = async () => {
      const res = await t.call({ method: 'GET', url: `/api/accounts/${accountId}` });
      expect(res.statusCode).toBe(200);
      return res.json().data as {
        messaging_limit: { tier: string | null; users_per_day: number | null };
        quality_rating: string | null;
      };
    };
    await post(
      accountWebhook(DOCS_WABA, 'phone_number_quality_update', {
        display_phone_number: '15550783881',
        event: 'DOWNGRADE',
        max_daily_conversations_per_business: 'TIER_2K',
      }),
    );
    expect((await view()).messaging_limit).toMatchObject({ tier: 'TIER_2K', users_per_day: 2000 });

    await post(
      accountWebhook(DOCS_WABA, 'business_capability_update', {
        max_daily_conversations_per_business: 100000,
        max_phone_numbers_per_business: 2,
      }),
    );
    expect((await view()).messaging_limit).toMatchObject({
      tier: 'TIER_100K',
      users_per_day: 100000,
    });

    await post(
      accountWebhook(DOCS_WABA, 'phone_number_quality_update', {
        display_phone_number: '15550783881',
        event: 'FLAGGED',
        max_daily_conversations_per_business: 'TIER_100K',
      }),
    );
    expect((await view()).quality_rating).toBe('RED');
    const applied = await events('?field=business_capability_update');
    expect(applied[0]).toMatchObject({ state: 'applied', waba_id: DOCS_WABA });
  });

  it('lists meta events newest first, by field, a page at a time', async () => {
    for (const event of ['PARTNER_ADDED', 'VERIFIED_ACCOUNT', 'DISABLED_UPDATE']) {
      await post(accountWebhook(OTHER_WABAS[0]!, 'account_update', { event, n: event }));
    }
    const first = await t.call({
      method: 'GET',
      url: '/api/meta-events?field=account_update&limit=2',
    });
    const page = first.json().data;
    expect(page.events).toHaveLength(2);
    expect(page.events.every((e: { field: string }) => e.field === 'account_update')).toBe(true);
    expect(page.next_cursor).not.toBeNull();
    const { before_time, before_id } = page.next_cursor;
    const next = await events(
      `?field=account_update&limit=2&before_time=${encodeURIComponent(before_time)}&before_id=${before_id}`,
    );
    expect(next.length).toBeGreaterThan(0);
    expect(next.map((e) => e.received_at <= before_time).every(Boolean)).toBe(true);
    const bad = await t.call({ method: 'GET', url: '/api/meta-events?field=Account-Update' });
    expect(bad.statusCode).toBe(400);
  });
});

import { processAbandonedWebhooks } from '../../inbound/cleanup';
import type { InboundProcessor } from '../../inbound/processor';
import { provisionOrganization } from '../../scripts/provision';
import type { AccountDoc } from '../../store/documents';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../support/app';
import { openRawStore } from '../support/raw-store';

const DELAYS_MS = [1_000, 5_000, 30_000];

let t: TestApp;
let account: AccountDoc;
const warnings: string[] = [];
const log = { warn: (_obj: object, msg: string) => void warnings.push(msg) };

beforeAll(async () => {
  t = await createTestApp({ env: { INBOUND_WEBHOOK_RETRY_DELAYS_MS: DELAYS_MS.join(',') } });
  account = await t.app.store.accounts.create(t.org.organization.id, {
    name: 'Main',
    phoneNumberId: '106540352242777',
    wabaId: '102290129340777',
    accessToken: 'EAAG',
    appSecret: 'secret',
    verifyToken: 'verify-dead',
  });
});
afterAll(() => t?.close());

/** A processor whose every run fails, as one with a bug would. */
const broken: InboundProcessor = {
  processMany: () => Promise.reject(new Error('cannot read properties of undefined')),
  process: () => Promise.reject(new Error('cannot read properties of undefined')),
};

const textMessage = () =>
  JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: account.waba_id,
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { phone_number_id: account.phone_number_id },
              contacts: [{ profile: { name: 'Sheena' }, wa_id: '16505559876' }],
              messages: [
                {
                  from: '16505559876',
                  id: 'wamid.dead-letter-1',
                  timestamp: '1749416383',
                  type: 'text',
                  text: { body: 'hello again' },
                },
              ],
            },
          },
        ],
      },
    ],
  });

const metric = async (name: string) => {
  const text = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? null : Number(line.slice(name.length + 1));
};

describe('a stored webhook whose processing keeps failing', () => {
  it('is retried after growing waits, parked dead after the last, listed, and replayed', async () => {
    const store = t.app.store;
    const [doc] = await store.inboundWebhooks.saveMany([{ provider: 'meta', body: textMessage() }]);
    const id = doc!._id;
    // Left by an API process that died: the sweep's to take.
    let now = doc!.received_at.getTime() + 10 * 60_000;
    const sweep = () =>
      processAbandonedWebhooks({
        store,
        processor: broken,
        log,
        retry: { retryDelaysMs: t.app.config.inbound.retryDelaysMs, now: () => now },
      });

    const waits: number[] = [];
    for (let attempt = 1; attempt <= DELAYS_MS.length; attempt++) {
      expect(await sweep()).toBe(0);
      const failed = (await store.inboundWebhooks.get(id))!;
      expect(failed).toMatchObject({ attempts: attempt, dead_at: null });
      const due = failed.next_attempt_at!.getTime();
      waits.push(due - now);
      // Not due yet: the sweep leaves it alone.
      now = due - 1;
      await sweep();
      expect((await store.inboundWebhooks.get(id))!.attempts).toBe(attempt);
      now = due;
    }
    expect(waits).toEqual(DELAYS_MS);

    await sweep();
    const dead = (await store.inboundWebhooks.get(id))!;
    expect(dead).toMatchObject({
      attempts: DELAYS_MS.length + 1,
      last_error: 'cannot read properties of undefined',
      dead_at: new Date(now),
      next_attempt_at: null,
      org_ids: [t.org.organization.id],
    });
    expect(warnings).toContain(
      'webhook processing failed for the last time; parked dead until replayed',
    );
    // Never taken again, however long the sweep runs.
    now += 30 * 86_400_000;
    await sweep();
    expect((await store.inboundWebhooks.get(id))!.attempts).toBe(DELAYS_MS.length + 1);
    expect(await metric('waflow_inbound_webhooks_dead')).toBe(1);

    const listed = await t.call({ method: 'GET', url: '/api/inbound-webhooks/dead' });
    expect(listed.statusCode).toBe(200);
    expect(listed.json().data.webhooks).toEqual([
      expect.objectContaining({
        id,
        state: 'dead',
        attempts: DELAYS_MS.length + 1,
        last_error: 'cannot read properties of undefined',
        dead_at: new Date(now - 30 * 86_400_000).toISOString(),
        body: textMessage(),
      }),
    ]);

    // Another organization neither sees nor replays it.
    const other = await provisionOrganization(store, {
      name: 'Other',
      email: `other-${Date.now()}@acme.test`,
      password: TEST_PASSWORD,
    });
    const asOther = { 'x-api-key': other.api_key.key };
    const foreign = await t.app.inject({
      method: 'GET',
      url: '/api/inbound-webhooks/dead',
      headers: asOther,
    });
    expect(foreign.json().data.webhooks).toEqual([]);
    const foreignReplay = await t.app.inject({
      method: 'POST',
      url: `/api/inbound-webhooks/${id}/replay`,
      headers: asOther,
    });
    expect(foreignReplay.statusCode).toBe(404);

    // The cause fixed (the app's own processor works), a replay processes it.
    const replayed = await t.call({ method: 'POST', url: `/api/inbound-webhooks/${id}/replay` });
    expect(replayed.statusCode).toBe(200);
    expect(replayed.json().data).toMatchObject({ id, state: 'processed', dead_at: null });
    const incoming = await store.events.list(t.org.organization.id, { type: 'message.incoming' });
    expect(incoming.map((e) => e.data.message_id)).toContain('wamid.dead-letter-1');
    expect(
      (await t.call({ method: 'GET', url: '/api/inbound-webhooks/dead' })).json().data.webhooks,
    ).toEqual([]);
    expect(await metric('waflow_inbound_webhooks_dead')).toBe(0);
    const again = await t.call({ method: 'POST', url: `/api/inbound-webhooks/${id}/replay` });
    expect(again.statusCode).toBe(404);
  });

  it('is retried afresh when its replay fails too', async () => {
    const raw = openRawStore(t.app.config);
    try {
      const [doc] = await t.app.store.inboundWebhooks.saveMany([
        { provider: 'meta', body: '{"object":"whatsapp_business_account","entry":{}}' },
      ]);
      await t.app.store.inboundWebhooks.markDead(
        doc!._id,
        'Invalid webhook payload',
        [t.org.organization.id],
        new Date(),
      );
      const res = await t.call({ method: 'POST', url: `/api/inbound-webhooks/${doc!._id}/replay` });
      expect(res.statusCode).toBe(200);
      expect(res.json().data).toMatchObject({ state: 'retrying', attempts: 1, dead_at: null });
      expect(res.json().data.last_error).toMatch(/entry/);
      expect(res.json().data.next_attempt_at).not.toBeNull();
      await raw.clear('inbound_webhooks');
    } finally {
      await raw.close();
    }
  });
});

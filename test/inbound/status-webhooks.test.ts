import { subscribeToStatuses } from '../support/status-events';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { createMetaClient, type MetaClient } from '../../meta/client';
import { buildApp } from '../../api/app';
import type { Config } from '../../lib/config';
import { freePort } from '../../scripts/infra';
import { provisionOrganization } from '../../scripts/provision';
import { createMetaSimulator, type MetaSimulator } from '../../sim/meta';
import { accountSettings } from '../../store/accounts';
import type { AccountDoc } from '../../store/documents';
import { testConfig } from '../support/config';
import { openRawStore, type RawStore } from '../support/raw-store';

/**
 * The simulator posts its signed status webhooks, duplicated and out of order, to the real
 * endpoint; the messages are sent to it directly, as the send pipeline would, so only the
 * inbound path is under test.
 */
let config: Config;
let sim: MetaSimulator;
let app: FastifyInstance;
let raw: RawStore;
let meta: MetaClient;
let orgId: string;
let account: AccountDoc;

beforeAll(async () => {
  const simPort = await freePort();
  config = testConfig({
    SANDBOX_MODE: 'true',
    META_SIMULATOR_URL: `http://127.0.0.1:${simPort}`,
    META_GRAPH_URL: `http://127.0.0.1:${simPort}`,
  });
  sim = await createMetaSimulator({
    port: simPort,
    accessToken: config.meta.simulator.accessToken,
    appSecret: config.meta.simulator.appSecret,
    webhookUrl: null,
    throughputPerSecond: 1_000,
    statusWebhooks: {
      delayMs: 1,
      deliveredRate: 1,
      readRate: 1,
      duplicateRate: 0.5,
      reorderRate: 0.5,
    },
  });
  app = await buildApp(config, { logger: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  sim.setOptions({ webhookUrl: `http://127.0.0.1:${port}/api/webhooks/meta` });
  raw = openRawStore(config);
  meta = createMetaClient({ apiVersion: config.meta.apiVersion });
  const org = await provisionOrganization(
    app.store,
    { name: 'Acme' },
    accountSettings(config).sandbox,
  );
  orgId = org.organization.id;
  await subscribeToStatuses(app.store, orgId);
  account = (await app.store.accounts.get(orgId, org.sandbox_account!.id))!;
});
afterAll(async () => {
  await meta?.close();
  await raw?.close();
  await app?.close();
  await sim?.close();
});

/** Stores a queued message and has the simulator accept it; half record their wamid. */
async function send(i: number) {
  const id = randomUUID();
  const to = `1415556${String(1000 + i).padStart(4, '0')}`;
  await app.store.messages.insert({
    _id: id,
    org_id: orgId,
    account_id: account._id,
    contact_id: randomUUID(),
    direction: 'outbound',
    phone_number: `+${to}`,
    user_id: null,
    type: 'template',
    content: { name: 'order_confirmation' },
    origin: 'api',
    origin_id: null,
    request_hash: null,
    wamid: null,
    status: 'queued',
  });
  const { wamid } = await meta.sendMessage(
    {
      graphUrl: config.meta.simulator.url,
      accessToken: config.meta.simulator.accessToken,
      phoneNumberId: account.phone_number_id,
    },
    {
      to,
      type: 'template',
      template: {
        name: 'order_confirmation',
        language: { code: 'en' },
        components: [
          {
            type: 'body',
            parameters: [
              { type: 'text', text: 'Asha' },
              { type: 'text', text: `#${i}` },
            ],
          },
        ],
      },
      biz_opaque_callback_data: id,
    },
  );
  // The other half are found by the id Meta echoes, as when the send's answer comes late.
  if (i % 2 === 0) await app.store.messages.recordSent(id, wamid);
  return { id, wamid, to };
}

describe('status webhooks from the simulator', () => {
  it('end with each message at its highest status, each status once, one event each', async () => {
    const sent = await Promise.all(Array.from({ length: 40 }, (_, i) => send(i)));
    await sim.idle();
    await app.inbox.idle();

    // The simulator did repeat and reorder them.
    const posted = sim.webhookLog.filter((w) => w.kind === 'status');
    expect(posted.every((w) => w.delivered)).toBe(true);
    const keys = posted.map((w) => `${w.wamid}:${w.status}`);
    expect(new Set(keys).size).toBe(sent.length * 3);
    expect(keys.length).toBeGreaterThan(sent.length * 3);
    const firsts = new Map<string, string | null>();
    for (const w of posted) if (!firsts.has(w.wamid)) firsts.set(w.wamid, w.status);
    expect([...firsts.values()].some((s) => s !== 'sent')).toBe(true);

    const events = await app.store.events.list(orgId, {}, 10_000);
    for (const m of sent) {
      const doc = (await app.store.messages.get(orgId, m.id))!;
      expect(doc).toMatchObject({ wamid: m.wamid, status: 'read', error: null });
      const history = doc.status_history.map((h) => h.status);
      expect(history.sort()).toEqual(['delivered', 'queued', 'read', 'sent']);
      const mine = events.filter((e) => e.data.message_id === m.wamid);
      expect(mine.map((e) => e._id).sort()).toEqual(
        ['delivered', 'read', 'sent'].map((s) => `message.${s}:${m.wamid}`),
      );
      for (const e of mine) {
        expect(e.data).toMatchObject({
          to: `+${m.to}`,
          type: 'template',
          status: e.type.split('.')[1],
          contact_id: doc.contact_id,
          whatsapp_account_id: account._id,
        });
      }
    }
    expect(await raw.count('inbound_webhooks', { processed_at: null })).toBe(0);
  });
});

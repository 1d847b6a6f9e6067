import { randomUUID } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { maintenanceActivities } from '../../activities/maintenance';
import { inboundProcessor, type InboundProcessor } from '../../inbound/processor';
import { Inbox } from '../../inbound/inbox';
import type { MetaWebhook } from '../../meta/webhook-payload';
import { openStore, type Store, type StoreHandle } from '../../store';
import type { AccountDoc } from '../../store/documents';
import { testConfig } from '../support/config';
import { openRawStore, type RawStore } from '../support/raw-store';

let database: StoreHandle;
let store: Store;
let raw: RawStore;
let account: AccountDoc;
const warnings: { obj: object; msg: string }[] = [];
const log = { warn: (obj: object, msg: string) => void warnings.push({ obj, msg }) };

beforeAll(async () => {
  const config = testConfig();
  database = await openStore(config);
  store = database.store;
  raw = openRawStore(config);
  const org = await store.organizations.create('Batches');
  account = await store.accounts.create(org._id, {
    name: 'Main',
    phoneNumberId: '106540352242001',
    wabaId: '102290129340001',
    accessToken: 'EAAG',
    appSecret: 'secret',
    verifyToken: 'verify',
  });
});
afterAll(async () => {
  await raw?.close();
  await database?.close();
});

const webhook = (value: Record<string, unknown>) =>
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
              ...value,
            },
          },
        ],
      },
    ],
  });

const statusWebhook = (wamid: string, status: string, ts: number) =>
  webhook({ statuses: [{ id: wamid, status, timestamp: String(ts), recipient_id: '1650555' }] });

/** Sent messages with their wamids, as the send pipeline leaves them. */
async function sentMessages(count: number) {
  return Promise.all(
    Array.from({ length: count }, async () => {
      const id = randomUUID();
      const wamid = `wamid.${randomUUID()}`;
      await store.messages.insert({
        _id: id,
        org_id: account.org_id,
        account_id: account._id,
        contact_id: randomUUID(),
        direction: 'outbound',
        phone_number: '+16505551234',
        user_id: null,
        type: 'template',
        content: { name: 'order_confirmation' },
        origin: 'api',
        origin_id: null,
        request_hash: null,
        wamid,
        status: 'sent',
      });
      return { id, wamid };
    }),
  );
}

/** The store, counting the batched writes of statuses and their events. */
function countingStore() {
  const calls = { applyStatuses: [] as number[], recordMany: [] as number[] };
  const counted: Store = {
    ...store,
    messages: {
      ...store.messages,
      applyStatuses: (updates) => {
        calls.applyStatuses.push(updates.length);
        return store.messages.applyStatuses(updates);
      },
    },
    events: {
      ...store.events,
      recordMany: (events) => {
        calls.recordMany.push(events.length);
        return store.events.recordMany(events);
      },
    },
  };
  return { counted, calls };
}

const statusEvents = async (wamid: string) => {
  const all = await Promise.all(
    ['sent', 'delivered', 'read'].map((s) => store.events.get(`message.${s}:${wamid}`)),
  );
  return all.filter((e) => e !== null);
};

describe('Inbox batches', () => {
  it('applies the statuses of all queued webhooks in one write and their events in another', async () => {
    const messages = await sentMessages(10);
    const bodies = messages.flatMap((m) => [
      statusWebhook(m.wamid, 'read', 1_750_000_003),
      statusWebhook(m.wamid, 'delivered', 1_750_000_002),
      statusWebhook(m.wamid, 'read', 1_750_000_003),
    ]);
    const { counted, calls } = countingStore();
    const inbox = new Inbox(counted, inboundProcessor(counted), log);
    await Promise.all(bodies.map((b) => inbox.accept(b)));
    await inbox.idle();

    expect(calls).toEqual({ applyStatuses: [30], recordMany: [20] });
    for (const m of messages) {
      const doc = (await store.messages.get(account.org_id, m.id))!;
      expect(doc.status).toBe('read');
      expect(doc.status_history.map((h) => h.status)).toEqual(['sent', 'read', 'delivered']);
      const events = await statusEvents(m.wamid);
      expect(events.map((e) => e.type).sort()).toEqual(['message.delivered', 'message.read']);
      expect(events.find((e) => e.type === 'message.read')!.data).toEqual({
        message_id: m.wamid,
        wamid: m.wamid,
        id: m.id,
        to: '+16505551234',
        user_id: null,
        type: 'template',
        status: 'read',
        contact_id: doc.contact_id,
        whatsapp_account_id: account._id,
      });
    }
    const stored = await raw.find('inbound_webhooks', { processed_at: null });
    expect(stored).toHaveLength(0);
  });

  it('tries the webhooks of a failed batch one by one, so only the bad one is left failed', async () => {
    const batches: number[] = [];
    const poisoned = (p: MetaWebhook) => (p as { poison?: boolean }).poison === true;
    const processor: InboundProcessor = {
      processMany: (payloads) => {
        batches.push(payloads.length);
        if (payloads.some(poisoned)) return Promise.reject(new Error('poisoned batch'));
        return Promise.resolve(payloads.map(() => ({ unknownStatuses: [] })));
      },
      process: (payload) =>
        poisoned(payload)
          ? Promise.reject(new Error('poisoned webhook'))
          : Promise.resolve({ unknownStatuses: [] }),
    };
    const inbox = new Inbox(store, processor, log);
    const object = 'whatsapp_business_account';
    const bodies = [1, 2, 3, 4].map((n) => JSON.stringify({ object, entry: [], n }));
    const poison = JSON.stringify({ object, entry: [], poison: true });
    const all = [...bodies.slice(0, 2), poison, ...bodies.slice(2)];
    await Promise.all(all.map((body) => inbox.accept(body)));
    await inbox.idle();

    // As they arrived, then again from the store, where the batch is split up.
    expect(batches).toEqual([5, 5]);
    const docs = await raw.find('inbound_webhooks', { body: { in: [...bodies, poison] } });
    const bad = docs.find((d) => d.body === poison)!;
    expect(bad).toMatchObject({ processed_at: null, attempts: 1, last_error: 'poisoned webhook' });
    const good = docs.filter((d) => d.body !== poison);
    expect(good).toHaveLength(4);
    expect(good.every((d) => d.processed_at instanceof Date && d.attempts === 0)).toBe(true);
    expect(warnings.map((w) => w.msg)).toContain(
      'batch processing failed; trying its webhooks alone',
    );
  });

  it('applies a webhook before answering it, and stores no row for it once applied', async () => {
    const [m] = await sentMessages(1);
    const inbox = new Inbox(store, inboundProcessor(store), log);
    const body = statusWebhook(m!.wamid, 'delivered', 1_750_000_002);
    await inbox.accept(body);

    expect((await store.messages.get(account.org_id, m!.id))?.status).toBe('delivered');
    expect(await raw.find('inbound_webhooks', { body })).toHaveLength(0);
    await inbox.idle();
  });

  it('logs the statuses of messages it does not know, per webhook', async () => {
    const [known] = await sentMessages(1);
    const unknown = `wamid.${randomUUID()}`;
    const inbox = new Inbox(store, inboundProcessor(store), log);
    await Promise.all([
      inbox.accept(statusWebhook(known!.wamid, 'delivered', 1_750_000_002)),
      inbox.accept(statusWebhook(unknown, 'delivered', 1_750_000_002)),
    ]);
    await inbox.idle();
    const logged = warnings.filter((w) => w.msg === 'statuses for unknown messages');
    expect(logged.map((w) => (w.obj as { wamids: string[] }).wamids)).toEqual([[unknown]]);
    expect((await store.messages.get(account.org_id, known!.id))?.status).toBe('delivered');
  });

  it('is what the recovery sweep runs over webhooks left stored', async () => {
    const messages = await sentMessages(3);
    const bodies = [
      ...messages.map((m) => statusWebhook(m.wamid, 'delivered', 1_750_000_002)),
      statusWebhook(messages[0]!.wamid, 'read', 1_750_000_003),
      '{not json',
    ];
    const docs = await store.inboundWebhooks.saveMany(
      bodies.map((body) => ({ provider: 'meta', body })),
    );
    await raw.update(
      'inbound_webhooks',
      { _id: { in: docs.map((d) => d._id) } },
      { received_at: new Date(Date.now() - 10 * 60_000) },
    );
    const { counted, calls } = countingStore();
    const activities = maintenanceActivities({
      store: counted,
      config: { eventRetentionDays: 30, metaEventRetentionDays: 30 },
    });

    const swept: string[] = [];
    const note = (message: string) => void swept.push(message);
    const logger = {
      log: (_level: string, message: string) => note(message),
      trace: note,
      debug: note,
      info: note,
      warn: note,
      error: note,
    };
    const env = new MockActivityEnvironment(undefined, { logger });

    const recovered = await env.run(() => activities.processAbandonedWebhooks());

    expect(recovered).toBe(4);
    expect(calls.applyStatuses).toEqual([4]);
    expect((await store.messages.get(account.org_id, messages[0]!.id))?.status).toBe('read');
    expect((await store.messages.get(account.org_id, messages[2]!.id))?.status).toBe('delivered');
    const bad = await store.inboundWebhooks.get(docs.at(-1)!._id);
    expect(bad).toMatchObject({ processed_at: null, attempts: 1 });
    expect(bad?.last_error).toMatch(/JSON/);
    expect(swept).toContain('webhook processing failed; the recovery sweep retries it');
  });
});

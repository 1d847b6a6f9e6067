import { inboundProcessor, type InboundProcessor } from '../../inbound/processor';
import { Inbox, INBOX_DEFAULTS } from '../../inbound/inbox';
import { openStore, type Store, type StoreHandle } from '../../store';
import { testConfig } from '../support/config';
import { openRawStore, type RawStore } from '../support/raw-store';

let database: StoreHandle;
let store: Store;
let raw: RawStore;
const warnings: string[] = [];
const log = { warn: (_obj: object, msg: string) => void warnings.push(msg) };

beforeAll(async () => {
  const config = testConfig();
  database = await openStore(config);
  store = database.store;
  raw = openRawStore(config);
});
afterAll(async () => {
  await raw?.close();
  await database?.close();
});

const webhook = (n: number) =>
  JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [{ id: `waba-${n}`, changes: [] }],
  });
/** Every stored webhook, as the repository reads it. */
const all = async () => {
  const rows = await raw.find('inbound_webhooks');
  const docs = await Promise.all(rows.map((r) => store.inboundWebhooks.get(String(r._id))));
  return docs.map((d) => d!);
};

describe('Inbox', () => {
  it('processes what is accepted together before answering, and stores none of it once done', async () => {
    const inbox = new Inbox(store, inboundProcessor(store), log);
    await Promise.all([1, 2, 3].map((n) => inbox.accept(webhook(n))));
    await inbox.idle();
    expect(await all()).toHaveLength(0);
  });

  it('only stores what exceeds its queue, and reads it back once the queue drains', async () => {
    const real = inboundProcessor(store);
    // Each webhook fails the first time it is processed, at once: all five are stored, and
    // the queue (two at most) takes what it can; the rest is read back from the store.
    const seen = new Set<string>();
    const processor: InboundProcessor = {
      ...real,
      async processMany(payloads) {
        const keys = payloads.map((p) => JSON.stringify(p));
        const fresh = keys.some((k) => !seen.has(k));
        keys.forEach((k) => seen.add(k));
        if (fresh) throw new Error('the store is unavailable');
        return real.processMany(payloads);
      },
    };
    const readBack = jest.spyOn(store.inboundWebhooks, 'pending');
    const inbox = new Inbox(store, processor, log, {
      ...INBOX_DEFAULTS,
      concurrency: 1,
      maxQueued: 2,
    });
    await Promise.all([1, 2, 3, 4, 5].map((n) => inbox.accept(webhook(n))));
    await inbox.idle();
    const docs = await all();
    expect(docs).toHaveLength(5);
    expect(docs.filter((d) => d.processed_at === null)).toHaveLength(0);
    expect(readBack).toHaveBeenCalled();
    readBack.mockRestore();
    expect(await store.inboundWebhooks.pending(0)).toHaveLength(0);
    await raw.clear('inbound_webhooks');
  });

  it('records a processing failure on the webhook for the sweep to retry', async () => {
    const inbox = new Inbox(store, inboundProcessor(store), log);
    await inbox.accept('{not json');
    await inbox.idle();
    const failed = (await all()).find((d) => d.body === '{not json');
    expect(failed).toMatchObject({ processed_at: null, attempts: 1 });
    expect(failed?.last_error).toMatch(/JSON/);
    expect(warnings.some((w) => w.includes('recovery sweep retries it'))).toBe(true);
  });
});

import { inboundProcessor } from '../../inbound/processor';
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
  JSON.stringify({ object: 'whatsapp_business_account', entry: [], n });
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
    const inbox = new Inbox(store, inboundProcessor(store), log, {
      ...INBOX_DEFAULTS,
      concurrency: 1,
      maxQueued: 2,
    });
    await Promise.all([1, 2, 3, 4, 5].map((n) => inbox.accept(webhook(n))));
    await inbox.idle();
    // Processed at once, nothing waits in the queue, so nothing overflows it or is stored.
    // (The overflow path needs webhooks whose processing fails: still to be tested that way.)
    const docs = await all();
    expect(docs.filter((d) => d.processed_at === null)).toHaveLength(0);
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

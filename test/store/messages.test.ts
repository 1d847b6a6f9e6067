import { randomBytes, randomUUID } from 'node:crypto';
import { createStore, type Store } from '../../store';
import type { NewMessage } from '../../store/messages';
import { connectMongo, type MongoHandle } from '../../store/mongo';
import { testConfig } from '../support/config';

let mongo: MongoHandle;
let store: Store;
beforeAll(async () => {
  const config = testConfig();
  mongo = await connectMongo(config.mongo.uri, config.mongo.db);
  store = createStore(mongo.db, randomBytes(32));
});
afterAll(() => mongo.close());

const message = (over: Partial<NewMessage> = {}): NewMessage => ({
  _id: randomUUID(),
  org_id: 'org-1',
  account_id: 'acc-1',
  contact_id: 'contact-1',
  direction: 'outbound',
  phone_number: '+919876543210',
  type: 'text',
  content: { body: 'hi' },
  origin: 'api',
  origin_id: null,
  request_hash: null,
  wamid: null,
  status: 'queued',
  ...over,
});

describe('messages', () => {
  it('is stored once per id', async () => {
    const m = message();
    expect((await store.messages.insert(m)).created).toBe(true);
    const again = await store.messages.insert({ ...m, content: { body: 'other' } });
    expect(again.created).toBe(false);
    expect(again.doc.content).toEqual({ body: 'hi' });
  });

  it('keeps the first wamid', async () => {
    const m = message();
    await store.messages.insert(m);
    await store.messages.setWamid(m._id, 'wamid.1');
    await store.messages.setWamid(m._id, 'wamid.2');
    expect((await store.messages.byWamid('wamid.1'))?._id).toBe(m._id);
    expect(await store.messages.byWamid('wamid.2')).toBeNull();
  });

  it('moves statuses forward only and records each once, whatever the order', async () => {
    const m = message();
    await store.messages.insert(m);
    const t = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
    await store.messages.applyStatus(m._id, 'delivered', t(2));
    await store.messages.applyStatus(m._id, 'sent', t(1));
    await store.messages.applyStatus(m._id, 'delivered', t(2));
    await store.messages.applyStatus(m._id, 'read', t(3));
    await store.messages.applyStatus(m._id, 'delivered', t(2));
    const doc = (await store.messages.get('org-1', m._id))!;
    expect(doc.status).toBe('read');
    expect(doc.status_history.map((h) => h.status)).toEqual([
      'queued',
      'delivered',
      'sent',
      'read',
    ]);
  });

  it('ends in failed with the error, and nothing moves it on', async () => {
    const m = message();
    await store.messages.insert(m);
    await store.messages.applyStatus(m._id, 'sent', new Date());
    const error = { code: 131047, message: 'Re-engagement message' };
    await store.messages.applyStatus(m._id, 'failed', new Date(), error);
    await store.messages.applyStatus(m._id, 'delivered', new Date());
    const doc = (await store.messages.get('org-1', m._id))!;
    expect(doc).toMatchObject({ status: 'failed', error });
    expect(doc.status_history.at(-2)).toMatchObject({ status: 'failed', error });
  });

  it('is scoped by organization', async () => {
    const m = message();
    await store.messages.insert(m);
    expect(await store.messages.get('org-2', m._id)).toBeNull();
  });

  it('pages history newest first with a cursor that new messages do not disturb', async () => {
    const contact = randomUUID();
    const same = new Date('2026-03-01T10:00:00Z');
    const times = [
      new Date('2026-03-01T09:00:00Z'),
      same,
      same,
      same,
      new Date('2026-03-01T11:00:00Z'),
    ];
    const ids: string[] = [];
    for (const at of times) {
      const m = message({ contact_id: contact });
      ids.push(m._id);
      await store.messages.insert(m, at);
    }
    const page1 = await store.messages.history('org-1', contact, { limit: 2 });
    expect(page1[0]!.created_at.toISOString()).toBe('2026-03-01T11:00:00.000Z');
    const last = page1[1]!;

    // A message arriving now must not shift the next page.
    await store.messages.insert(message({ contact_id: contact }), new Date('2026-03-01T12:00:00Z'));

    const page2 = await store.messages.history('org-1', contact, {
      limit: 2,
      beforeTime: last.created_at,
      beforeId: last._id,
    });
    const page3 = await store.messages.history('org-1', contact, {
      limit: 2,
      beforeTime: page2[1]!.created_at,
      beforeId: page2[1]!._id,
    });
    const seen = [...page1, ...page2, ...page3].map((m) => m._id);
    expect(seen).toHaveLength(5);
    expect(new Set(seen)).toEqual(new Set(ids));
  });
});

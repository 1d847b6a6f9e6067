import { MongoClient, type Db } from 'mongodb';
import { ConflictError } from '../../lib/errors';
import { createStore, type Store } from '../../store';
import { ensureIndexes, INDEXES } from '../../store/indexes';
import { connectMongo, type MongoHandle } from '../../store/mongo';
import { testConfig } from '../support/config';

let mongo: MongoHandle;
let store: Store;
beforeAll(async () => {
  const config = testConfig();
  mongo = await connectMongo(config.mongo.uri, config.mongo.db);
  store = createStore(mongo.db, config.encryptionKey);
});
afterAll(() => mongo.close());

describe('indexes', () => {
  it('are created at connect and creating them again changes nothing', async () => {
    await ensureIndexes(mongo.db);
    await ensureIndexes(mongo.db);
    for (const [collection, specs] of Object.entries(INDEXES)) {
      const names = (await mongo.db.collection(collection).indexes()).map((i) => i.name);
      expect(names).toEqual(expect.arrayContaining(specs.map((s) => s.name)));
    }
  });

  it('survive a second connection doing the same (api and worker start together)', async () => {
    const client = await MongoClient.connect(testServerUri());
    try {
      await Promise.all([ensureIndexes(mongo.db), ensureIndexes(client.db(mongo.db.databaseName))]);
    } finally {
      await client.close();
    }
  });
});

describe('users', () => {
  it('refuses a second user with the same email, whatever its case', async () => {
    const org = await store.organizations.create('Acme');
    await store.users.create(org._id, { email: 'Ana@Acme.test', name: 'Ana', password: 'pw' });
    await expect(
      store.users.create(org._id, { email: 'ana@acme.test ', name: 'Ana 2', password: 'pw' }),
    ).rejects.toThrow(ConflictError);
    expect((await store.users.findByEmail('ANA@acme.test'))?.name).toBe('Ana');
  });

  it('scopes reads by organization', async () => {
    const a = await store.organizations.create('A');
    const b = await store.organizations.create('B');
    const user = await store.users.create(a._id, { email: 'u@a.test', name: 'U', password: 'pw' });
    expect(await store.users.get(a._id, user._id)).not.toBeNull();
    expect(await store.users.get(b._id, user._id)).toBeNull();
  });
});

describe('api keys', () => {
  it('stores a hash, finds by the key, and scopes everything else by organization', async () => {
    const a = await store.organizations.create('A');
    const b = await store.organizations.create('B');
    const { doc, key } = await store.apiKeys.create(a._id, { name: 'k' });
    expect(doc.key_hash).not.toContain(key);
    expect((await store.apiKeys.findByKey(key))?._id).toBe(doc._id);
    expect(await store.apiKeys.findByKey(key + 'x')).toBeNull();
    expect(await store.apiKeys.get(b._id, doc._id)).toBeNull();
    expect(await store.apiKeys.list(b._id)).toEqual([]);
    expect(await store.apiKeys.revoke(b._id, doc._id)).toBeNull();
    expect((await store.apiKeys.get(a._id, doc._id))?.revoked_at).toBeNull();
  });

  it('keeps the first revocation time when revoked twice', async () => {
    const org = await store.organizations.create('A');
    const { doc } = await store.apiKeys.create(org._id, { name: 'k' });
    const first = await store.apiKeys.revoke(org._id, doc._id, new Date('2026-01-01T00:00:00Z'));
    const second = await store.apiKeys.revoke(org._id, doc._id, new Date('2026-02-01T00:00:00Z'));
    expect(first?.revoked_at?.toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(second?.revoked_at?.toISOString()).toBe('2026-01-01T00:00:00.000Z');
  });

  it('lists newest first', async () => {
    const org = await store.organizations.create('A');
    await store.apiKeys.create(org._id, { name: 'old' });
    await new Promise((r) => setTimeout(r, 5));
    await store.apiKeys.create(org._id, { name: 'new' });
    expect((await store.apiKeys.list(org._id)).map((k) => k.name)).toEqual(['new', 'old']);
  });
});

describe('sessions', () => {
  it('finds only unexpired sessions and purges expired ones', async () => {
    const org = await store.organizations.create('A');
    const live = await store.sessions.create(org._id, 'user-1', 60_000);
    const dead = await store.sessions.create(org._id, 'user-1', -1_000);
    expect((await store.sessions.findActive(live.token))?._id).toBe(live.doc._id);
    expect(await store.sessions.findActive(dead.token)).toBeNull();
    expect(await store.sessions.purgeExpired()).toBeGreaterThanOrEqual(1);
    const left = await rawSessions(mongo.db)
      .find({ _id: { $in: [live.doc._id, dead.doc._id] } })
      .toArray();
    expect(left.map((s) => s._id)).toEqual([live.doc._id]);
  });
});

function rawSessions(db: Db) {
  return db.collection<{ _id: string }>('sessions');
}

function testServerUri() {
  return process.env.WAFLOW_TEST_MONGODB_URI!;
}

import { MongoClient } from 'mongodb';
import type pg from 'pg';
import { ConflictError } from '../../lib/errors';
import type { Store } from '../../store/contract';
import { ensureIndexes, INDEXES } from '../../store/mongo/indexes';
import { createPool } from '../../store/postgres/db';
import { loadMigrations, migrate } from '../../store/postgres/migrate';
import { testConfig } from '../support/config';
import { openRawStore, type RawStore } from '../support/raw-store';
import { openTestStore, STORE_KINDS, type TestStore } from '../support/store';

describe.each(STORE_KINDS)('%s', (kind) => {
  let t: TestStore;
  let store: Store;
  let raw: RawStore;
  beforeAll(async () => {
    t = await openTestStore(kind);
    store = t.store;
    raw = openRawStore(t.config);
  });
  afterAll(async () => {
    await raw?.close();
    await t?.handle.close();
  });

  it('answers a ping', async () => {
    expect(t.handle.kind).toBe(kind);
    await expect(t.handle.ping()).resolves.toBeUndefined();
  });

  describe('organizations', () => {
    it('gets one by id, and the first is the oldest', async () => {
      const first = await store.organizations.first();
      const org = await store.organizations.create('Acme');
      expect(await store.organizations.get(org._id)).toEqual(org);
      expect(await store.organizations.get('no-such-org')).toBeNull();
      expect((await store.organizations.first())?._id).toBe(first?._id ?? org._id);
    });

    it('keeps a default country for phone numbers, none at first', async () => {
      const org = await store.organizations.create('Acme');
      expect(org.default_country).toBeNull();
      const set = await store.organizations.update(org._id, { default_country: 'IN' });
      expect(set).toEqual({ ...org, default_country: 'IN' });
      expect(await store.organizations.get(org._id)).toEqual(set);
      expect(await store.organizations.update(org._id, {})).toEqual(set);
      expect(await store.organizations.update(org._id, { default_country: null })).toEqual(org);
      expect(await store.organizations.update('no-such-org', { default_country: 'IN' })).toBeNull();
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
      const user = await store.users.create(a._id, {
        email: 'u@a.test',
        name: 'U',
        password: 'pw',
      });
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
      const [stored] = await raw.find('api_keys', { _id: doc._id });
      expect(stored).toMatchObject({ key_hash: doc.key_hash, org_id: a._id });
      expect(JSON.stringify(stored)).not.toContain(key);
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

    it('lists newest first, with their rate limits', async () => {
      const org = await store.organizations.create('A');
      await store.apiKeys.create(org._id, { name: 'old' });
      await new Promise((r) => setTimeout(r, 5));
      const limit = { per_minute: 600, per_second: 20 };
      await store.apiKeys.create(org._id, { name: 'new', rateLimit: limit });
      const listed = await store.apiKeys.list(org._id);
      expect(listed.map((k) => k.name)).toEqual(['new', 'old']);
      expect(listed.map((k) => k.rate_limit)).toEqual([limit, null]);
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
      const left = await raw.find('sessions', { _id: { in: [live.doc._id, dead.doc._id] } });
      expect(left.map((s) => s._id)).toEqual([live.doc._id]);
      expect(await store.sessions.delete(live.token)).toBe(true);
      expect(await store.sessions.delete(live.token)).toBe(false);
      expect(await store.sessions.findActive(live.token)).toBeNull();
    });
  });

  describe('events', () => {
    it('records a fact once, gets it by id, and lists newest first', async () => {
      const org = await store.organizations.create('A');
      const at = new Date('2026-03-01T10:00:00Z');
      expect(
        await store.events.record(org._id, 'message.read:w1', 'message.read', { n: 1 }, at),
      ).toBe(true);
      expect(await store.events.record(org._id, 'message.read:w1', 'message.read', { n: 2 })).toBe(
        false,
      );
      await new Promise((r) => setTimeout(r, 5));
      await store.events.record(org._id, 'contact.created:c1', 'contact.created', { id: 'c1' });
      expect(await store.events.get('message.read:w1')).toMatchObject({
        _id: 'message.read:w1',
        org_id: org._id,
        type: 'message.read',
        timestamp: at,
        data: { n: 1 },
      });
      expect(await store.events.get('message.read:nope')).toBeNull();
      expect((await store.events.list(org._id)).map((e) => e._id)).toEqual([
        'contact.created:c1',
        'message.read:w1',
      ]);
      expect(
        (await store.events.list(org._id, { type: 'message.read' })).map((e) => e._id),
      ).toEqual(['message.read:w1']);
    });
  });

  describe('inbound webhooks', () => {
    it('saves many at once, and gets, marks and lists them as pending', async () => {
      const [a, b] = await store.inboundWebhooks.saveMany([
        { provider: 'meta', body: '{"a":1}' },
        { provider: 'meta', body: '{"b":2}' },
      ]);
      expect(await store.inboundWebhooks.get(a!._id)).toMatchObject({
        body: '{"a":1}',
        processed_at: null,
        attempts: 0,
        last_error: null,
      });
      await store.inboundWebhooks.markProcessed([a!._id]);
      await store.inboundWebhooks.markFailed(b!._id, 'boom', new Date(0));
      expect((await store.inboundWebhooks.get(a!._id))?.processed_at).toBeInstanceOf(Date);
      expect(await store.inboundWebhooks.get(b!._id)).toMatchObject({
        processed_at: null,
        attempts: 1,
        last_error: 'boom',
      });
      const pending = (await store.inboundWebhooks.pending(0, 1_000)).map((w) => w._id);
      expect(pending).toContain(b!._id);
      expect(pending).not.toContain(a!._id);
      expect(await store.inboundWebhooks.get('no-such-webhook')).toBeNull();
    });

    it('stores those already applied as processed, never pending', async () => {
      const [done, todo] = await store.inboundWebhooks.saveMany([
        { provider: 'meta', body: '{"done":1}', processed: true },
        { provider: 'meta', body: '{"todo":1}', processed: false },
      ]);
      const stored = await store.inboundWebhooks.get(done!._id);
      expect(stored).toMatchObject({ body: '{"done":1}', attempts: 0, last_error: null });
      expect(stored?.processed_at).toBeInstanceOf(Date);
      expect(stored).not.toHaveProperty('processed');
      expect((await store.inboundWebhooks.get(todo!._id))?.processed_at).toBeNull();
      const pending = (await store.inboundWebhooks.pending(0, 1_000)).map((w) => w._id);
      expect(pending).toContain(todo!._id);
      expect(pending).not.toContain(done!._id);
    });

    it('waits for a failed one to be due, parks it dead, and revives it for its organization only', async () => {
      const org = await store.organizations.create('Owner');
      const other = await store.organizations.create('Other');
      const [w] = await store.inboundWebhooks.saveMany([{ provider: 'meta', body: '{"w":1}' }]);
      const id = w!._id;
      const at = (ms: number) => new Date(w!.received_at.getTime() + ms);
      const pendingAt = async (ms: number) =>
        (await store.inboundWebhooks.pending(0, 1_000, at(ms))).map((d) => d._id);

      await store.inboundWebhooks.markFailed(id, 'first', at(60_000));
      expect(await store.inboundWebhooks.get(id)).toMatchObject({
        attempts: 1,
        last_error: 'first',
        next_attempt_at: at(60_000),
        dead_at: null,
      });
      expect(await pendingAt(59_999)).not.toContain(id);
      expect(await pendingAt(60_000)).toContain(id);

      const before = await store.inboundWebhooks.countDead();
      await store.inboundWebhooks.markDead(id, 'last', [org._id], at(120_000));
      expect(await store.inboundWebhooks.get(id)).toMatchObject({
        attempts: 2,
        last_error: 'last',
        next_attempt_at: null,
        dead_at: at(120_000),
        org_ids: [org._id],
      });
      expect(await pendingAt(10 * 86_400_000)).not.toContain(id);
      expect(await store.inboundWebhooks.countDead()).toBe(before + 1);
      expect((await store.inboundWebhooks.listDead(org._id, 10)).map((d) => d._id)).toEqual([id]);
      expect(await store.inboundWebhooks.listDead(other._id, 10)).toEqual([]);

      expect(await store.inboundWebhooks.revive(other._id, id)).toBeNull();
      expect(await store.inboundWebhooks.revive(org._id, id)).toMatchObject({
        _id: id,
        attempts: 0,
        dead_at: null,
        next_attempt_at: null,
        last_error: 'last',
      });
      expect(await store.inboundWebhooks.revive(org._id, id)).toBeNull();
      expect(await pendingAt(0)).toContain(id);
      expect(await store.inboundWebhooks.countDead()).toBe(before);

      // Processed at last (a replay): neither pending nor dead.
      await store.inboundWebhooks.markDead(id, 'again', [org._id], at(0));
      await store.inboundWebhooks.markProcessed([id]);
      expect(await store.inboundWebhooks.get(id)).toMatchObject({
        dead_at: null,
        last_error: null,
      });
      expect(await store.inboundWebhooks.countDead()).toBe(before);
    });
  });
});

describe('mongo indexes', () => {
  let client: MongoClient;
  let dbName: string;
  beforeAll(async () => {
    const config = testConfig({ WAFLOW_STORE: 'mongo' });
    client = await MongoClient.connect(config.mongo.uri);
    dbName = config.mongo.db;
  });
  afterAll(() => client?.close());

  it('are all created, and creating them again changes nothing', async () => {
    const db = client.db(dbName);
    await ensureIndexes(db);
    await ensureIndexes(db);
    for (const [collection, specs] of Object.entries(INDEXES)) {
      const names = (await db.collection(collection).indexes()).map((i) => i.name);
      expect(names).toEqual(expect.arrayContaining(specs.map((s) => s.name)));
    }
  });

  it('survive a second connection doing the same (api and worker start together)', async () => {
    const other = await MongoClient.connect(testConfig({ WAFLOW_STORE: 'mongo' }).mongo.uri);
    try {
      await Promise.all([ensureIndexes(client.db(dbName)), ensureIndexes(other.db(dbName))]);
    } finally {
      await other.close();
    }
  });
});

describe('postgres migrations', () => {
  const versions = loadMigrations().map((m) => m.version);

  it('are applied once: migrating an up-to-date schema applies nothing', async () => {
    const t = await openTestStore('postgres');
    const pool = createPool(t.config.postgres.url, t.config.postgres.schema, 1);
    try {
      expect(versions.length).toBeGreaterThan(0);
      expect(await migrate(pool, t.config.postgres.schema)).toEqual([]);
      const applied = await pool.query<{ version: number }>(
        'SELECT version FROM schema_migrations ORDER BY version',
      );
      expect(applied.rows.map((r) => r.version)).toEqual(versions);
    } finally {
      await pool.end();
      await t.handle.close();
    }
  });

  it('are applied once when processes migrate a fresh schema together', async () => {
    const { postgres } = testConfig({ WAFLOW_STORE: 'postgres' });
    // The API and the worker start together, and may be scaled to several of each.
    const pools = [1, 2, 3, 4].map(() => createPool(postgres.url, postgres.schema, 1));
    try {
      // Connected first, so that their migrations really start together.
      await Promise.all(pools.map((pool) => pool.query('SELECT 1')));
      const results = await Promise.all(pools.map((pool) => migrate(pool, postgres.schema)));
      expect(results.flat().sort((a, b) => a - b)).toEqual(versions);
      const applied = await pools[0]!.query<{ version: number }>(
        'SELECT version FROM schema_migrations ORDER BY version',
      );
      expect(applied.rows.map((r) => r.version)).toEqual(versions);
      const tables = await pools[0]!.query<{ n: number }>(
        `SELECT count(*) AS n FROM information_schema.tables
         WHERE table_schema = $1 AND table_name IN ('contacts', 'messages', 'events')`,
        [postgres.schema],
      );
      expect(Number(tables.rows[0]!.n)).toBe(3);
    } finally {
      await Promise.all(pools.map((pool) => pool.end()));
    }
  });

  describe('hot queries', () => {
    let t: TestStore;
    let client: pg.PoolClient;
    let pool: pg.Pool;
    beforeAll(async () => {
      t = await openTestStore('postgres');
      pool = createPool(t.config.postgres.url, t.config.postgres.schema, 1);
      client = await pool.connect();
      // Tables this small are scanned whatever their indexes: ask for anything but a scan.
      await client.query('SET enable_seqscan = off');
    });
    afterAll(async () => {
      client?.release();
      await pool?.end();
      await t?.handle.close();
    });

    it.each([
      ['contact by phone', "SELECT * FROM contacts WHERE org_id = 'o' AND phone_number = '+1'"],
      ['message by wamid', "SELECT * FROM messages WHERE wamid = 'wamid.1'"],
      [
        'message history',
        `SELECT * FROM messages WHERE org_id = 'o' AND contact_id = 'c'
         ORDER BY created_at DESC, id DESC LIMIT 50`,
      ],
      ['api key by hash', "SELECT * FROM api_keys WHERE key_hash = 'h'"],
      ['session by token', "SELECT * FROM sessions WHERE token_hash = 'h'"],
      ['account by number', "SELECT * FROM accounts WHERE phone_number_id = '1'"],
      [
        'pending inbound webhooks',
        `SELECT * FROM inbound_webhooks WHERE processed_at IS NULL
         AND received_at < now() ORDER BY received_at LIMIT 100`,
      ],
      [
        'events to sweep',
        `SELECT * FROM events WHERE created_at >= now() - interval '1 hour'
         AND created_at < now() ORDER BY created_at, id LIMIT 100`,
      ],
    ])('%s uses an index', async (_name, sql) => {
      const plan = (await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`)).rows
        .map((r) => r['QUERY PLAN'])
        .join('\n');
      expect(plan).toMatch(/Index (Only )?Scan|Bitmap Index Scan/);
      expect(plan).not.toMatch(/Seq Scan/);
    });
  });
});

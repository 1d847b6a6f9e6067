import { randomUUID } from 'node:crypto';
import type { RateWindow } from '../../store/contract/rate-windows';
import { openTestStore, STORE_KINDS, type TestStore } from '../support/store';

const START = Date.parse('2026-03-01T10:00:00Z');
const windowOf = (key = randomUUID(), start = START): RateWindow => ({
  key,
  start,
  end: start + 60_000,
});

describe.each(STORE_KINDS)('%s', (kind) => {
  let t: TestStore;
  /** A second connection to the same database: another API process. */
  let other: TestStore;
  beforeAll(async () => {
    t = await openTestStore(kind);
    other = await openTestStore(kind, {
      DATABASE_SCHEMA: t.config.postgres.schema,
      MONGODB_DB: t.config.mongo.db,
      ENCRYPTION_KEY: t.config.encryptionKey.toString('base64'),
    });
  });
  afterAll(async () => {
    await other?.handle.close();
    await t?.handle.close();
  });

  describe('rate windows', () => {
    it('hands out each block of a window once, then none', async () => {
      const w = windowOf();
      const claims = [];
      for (let i = 0; i < 4; i++) claims.push(await t.store.rateWindows.claim(w, 3, 0));
      expect(claims).toEqual([0, 1, 2, null]);
    });

    it('hands out each block once to processes claiming at the same time', async () => {
      const w = windowOf();
      const claims = await Promise.all(
        Array.from({ length: 12 }, (_, i) => (i % 2 ? other : t).store.rateWindows.claim(w, 8, 0)),
      );
      const given = claims.filter((c) => c !== null).sort((a, b) => a - b);
      expect(given).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      expect(claims.filter((c) => c === null)).toHaveLength(4);
    });

    it('keeps windows of other keys and other starts apart', async () => {
      const key = randomUUID();
      expect(await t.store.rateWindows.claim(windowOf(key), 5, 0)).toBe(0);
      expect(await t.store.rateWindows.claim(windowOf(key, START + 60_000), 5, 0)).toBe(0);
      expect(await t.store.rateWindows.claim(windowOf(), 5, 0)).toBe(0);
      expect(await other.store.rateWindows.claim(windowOf(key), 5, 0)).toBe(1);
    });

    it('gives the lowest free block, whatever the hint', async () => {
      const w = windowOf();
      expect(await t.store.rateWindows.claim(w, 5, 0)).toBe(0);
      expect(await t.store.rateWindows.claim(w, 5, 1)).toBe(1);
      // Another process, whose hint is behind, still gets the next block.
      expect(await other.store.rateWindows.claim(w, 5, 0)).toBe(2);
    });

    it('deletes the windows that ended, and only those', async () => {
      const key = randomUUID();
      const ended = windowOf(key, START - 120_000);
      const current = windowOf(key);
      await t.store.rateWindows.claim(ended, 2, 0);
      await t.store.rateWindows.claim(current, 2, 0);
      expect(await t.store.rateWindows.purgeEnded(START)).toBeGreaterThanOrEqual(1);
      expect(await t.store.rateWindows.claim(current, 2, 1)).toBe(1);
      expect(await t.store.rateWindows.claim(current, 2, 2)).toBeNull();
      // A purged window is empty again: nothing of it is left in the store.
      expect(await t.store.rateWindows.claim(ended, 2, 0)).toBe(0);
    });
  });

  describe('login failures', () => {
    const at = (s: number) => new Date(START + s * 1000);

    it('lists an email’s failures after a time, oldest first, seen by every process', async () => {
      const email = `${randomUUID()}@acme.test`;
      await t.store.loginFailures.add(email, at(2));
      await other.store.loginFailures.add(email, at(1));
      await t.store.loginFailures.add(email, at(3));
      await t.store.loginFailures.add(`x${email}`, at(2));
      expect(await other.store.loginFailures.listSince(email, at(0))).toEqual([
        at(1),
        at(2),
        at(3),
      ]);
      expect(await t.store.loginFailures.listSince(email, at(1))).toEqual([at(2), at(3)]);
    });

    it('forgets an email’s failures, and purges everyone’s old ones', async () => {
      const email = `${randomUUID()}@acme.test`;
      const kept = `${randomUUID()}@acme.test`;
      await t.store.loginFailures.add(email, at(1));
      await t.store.loginFailures.add(kept, at(1));
      await t.store.loginFailures.add(kept, at(5));
      await t.store.loginFailures.clear(email);
      expect(await t.store.loginFailures.listSince(email, at(0))).toEqual([]);
      expect(await t.store.loginFailures.purgeBefore(at(1))).toBeGreaterThanOrEqual(1);
      expect(await t.store.loginFailures.listSince(kept, at(0))).toEqual([at(5)]);
    });
  });
});

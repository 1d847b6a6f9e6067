import { randomUUID } from 'node:crypto';
import type { Store } from '../../store/contract';
import type { MediaDoc } from '../../store/documents';
import { openTestStore, STORE_KINDS, type TestStore } from '../support/store';

const T0 = Date.parse('2026-03-01T10:00:00Z');
const seconds = (n: number) => new Date(T0 + n * 1000);

describe.each(STORE_KINDS)('%s', (kind) => {
  let t: TestStore;
  let store: Store;
  beforeAll(async () => {
    t = await openTestStore(kind);
    store = t.store;
  });
  afterAll(() => t?.handle.close());

  const newOrg = async () => (await store.organizations.create('Acme'))._id;
  const inbound = (orgId: string, over: Partial<MediaDoc> = {}): MediaDoc => {
    const id = `in:wamid.${randomUUID()}`;
    return {
      _id: id,
      org_id: orgId,
      account_id: 'acc-1',
      direction: 'inbound',
      mime_type: 'image/jpeg',
      filename: null,
      size: null,
      sha256: null,
      storage_key: `${orgId}/inbound/${randomUUID()}`,
      status: 'pending',
      message_id: id,
      message_type: 'image',
      meta_media_id: '1013859600285441',
      attempts: 0,
      next_attempt_at: seconds(0),
      error: null,
      created_at: seconds(0),
      stored_at: null,
      ...over,
    };
  };

  describe('media', () => {
    it('records a file and reads it back within its organization only', async () => {
      const org = await newOrg();
      const other = await newOrg();
      const doc = inbound(org, {
        _id: randomUUID(),
        direction: 'outbound',
        mime_type: 'application/pdf',
        filename: 'invoice.pdf',
        size: 123_456,
        sha256: 'ab'.repeat(32),
        status: 'stored',
        message_id: null,
        message_type: null,
        meta_media_id: null,
        next_attempt_at: null,
        stored_at: seconds(1),
      });
      await store.media.create(doc);
      expect(await store.media.get(org, doc._id)).toEqual(doc);
      expect(await store.media.get(other, doc._id)).toBeNull();
      expect(await store.media.get(org, 'no-such-id')).toBeNull();
    });

    it('records many once by id: a redelivered message records nothing more', async () => {
      const org = await newOrg();
      const a = inbound(org);
      const b = inbound(org);
      expect(await store.media.createMany([a])).toEqual(new Set([a._id]));
      expect(await store.media.createMany([{ ...a, mime_type: 'image/png' }, b])).toEqual(
        new Set([b._id]),
      );
      expect((await store.media.get(org, a._id))!.mime_type).toBe('image/jpeg');
      await expect(store.media.create(a)).rejects.toThrow();
    });

    it('claims due downloads oldest first, once each, held for the lease, counting attempts', async () => {
      const org = await newOrg();
      // Far in the future of the other tests' rows: this test claims only its own.
      const base = 1_000_000;
      const late = inbound(org, { next_attempt_at: seconds(base + 2) });
      const early = inbound(org, { next_attempt_at: seconds(base + 1) });
      const notYet = inbound(org, { next_attempt_at: seconds(base + 60) });
      const done = inbound(org, { status: 'stored', next_attempt_at: null });
      await store.media.createMany([late, early, notYet, done]);
      // Whatever earlier tests left due (older) is taken out of the way, held for long.
      await store.media.claimDue(seconds(base), 1_000, 10_000_000);

      const now = seconds(base + 10);
      const [first] = await store.media.claimDue(now, 1, 30_000);
      expect(first).toMatchObject({
        _id: early._id,
        attempts: 1,
        next_attempt_at: seconds(base + 40),
      });
      expect((await store.media.claimDue(now, 10, 30_000)).map((d) => d._id)).toEqual([late._id]);
      expect(await store.media.claimDue(now, 10, 30_000)).toEqual([]);
      // A worker that died: due again when its hold ends.
      const again = await store.media.claimDue(seconds(base + 41), 10, 30_000);
      expect(again.map((d) => [d._id, d.attempts]).sort()).toEqual(
        [
          [early._id, 2],
          [late._id, 2],
        ].sort(),
      );
    });

    it('applies an outcome only to the attempt that holds the download', async () => {
      const org = await newOrg();
      const doc = inbound(org, { next_attempt_at: seconds(-10_000_000) });
      await store.media.createMany([doc]);
      const [first] = await store.media.claimDue(seconds(-9_999_999), 1, 1_000);
      expect(first!._id).toBe(doc._id);
      expect(await store.media.markRetry(doc._id, 1, 'HTTP 500 from Meta', seconds(5))).toBe(true);
      expect(await store.media.get(org, doc._id)).toMatchObject({
        status: 'pending',
        error: 'HTTP 500 from Meta',
        next_attempt_at: seconds(5),
        attempts: 1,
      });
      // A second claim (attempt 2) makes the first attempt's late outcome stale.
      await store.media.markRetry(doc._id, 1, 'x', seconds(-9_999_000));
      const [second] = await store.media.claimDue(seconds(-9_998_000), 1, 1_000);
      expect(second!.attempts).toBe(2);
      const file = { size: 10, sha256: 'cd'.repeat(32), mime_type: 'image/jpeg' };
      expect(await store.media.markStored(doc._id, 1, file, seconds(6))).toBe(false);
      expect(await store.media.markStored(doc._id, 2, file, seconds(6))).toBe(true);
      expect(await store.media.get(org, doc._id)).toMatchObject({
        ...file,
        status: 'stored',
        stored_at: seconds(6),
        next_attempt_at: null,
        error: null,
      });
      // Ended: nothing changes it any more.
      expect(await store.media.markFailed(doc._id, 2, 'late')).toBe(false);
    });

    it('gives a download up with its reason', async () => {
      const org = await newOrg();
      const doc = inbound(org, { next_attempt_at: seconds(-20_000_000) });
      await store.media.createMany([doc]);
      await store.media.claimDue(seconds(-19_999_999), 1, 1_000);
      expect(await store.media.markFailed(doc._id, 1, 'sha256 mismatch')).toBe(true);
      expect(await store.media.get(org, doc._id)).toMatchObject({
        status: 'failed',
        error: 'sha256 mismatch',
        next_attempt_at: null,
      });
      expect(await store.media.claimDue(seconds(0), 100, 1_000)).not.toContainEqual(
        expect.objectContaining({ _id: doc._id }),
      );
    });
  });
});

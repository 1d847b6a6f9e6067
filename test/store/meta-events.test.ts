import type { Store } from '../../store/contract';
import type { MetaEventDoc } from '../../store/documents';
import { openTestStore, STORE_KINDS, type TestStore } from '../support/store';

const T0 = Date.parse('2026-03-01T10:00:00Z');
const minutes = (n: number) => new Date(T0 + n * 60_000);

describe.each(STORE_KINDS)('%s', (kind) => {
  let t: TestStore;
  let store: Store;
  beforeAll(async () => {
    t = await openTestStore(kind);
    store = t.store;
  });
  afterAll(() => t?.handle.close());

  const newOrg = async () => (await store.organizations.create('Acme'))._id;
  let seq = 0;
  const event = (orgIds: string[], over: Partial<MetaEventDoc> = {}): MetaEventDoc => ({
    _id: `me-${String(++seq).padStart(4, '0')}`,
    org_ids: orgIds,
    waba_id: '102290129340398',
    phone_number_id: null,
    field: 'account_update',
    value: { event: 'VERIFIED_ACCOUNT', nested: [{ a: [1, 2] }] },
    state: 'stored',
    reason: null,
    received_at: minutes(seq),
    ...over,
  });
  const ids = (docs: MetaEventDoc[]) => docs.map((d) => d._id);

  describe('meta events', () => {
    it('stores each once by id: a replay updates its state and organizations, keeps the rest', async () => {
      const org = await newOrg();
      const first = event([], { state: 'unmatched', reason: 'No account has WABA 1' });
      await store.metaEvents.record([first]);
      await store.metaEvents.record([
        {
          ...first,
          org_ids: [org],
          state: 'applied',
          reason: null,
          value: { changed: true },
          received_at: minutes(999),
        },
      ]);
      const listed = await store.metaEvents.list(org, { limit: 10 });
      expect(listed).toEqual([{ ...first, org_ids: [org], state: 'applied', reason: null }]);
    });

    it('lists an organization’s newest first, by field and state, a page at a time after a cursor', async () => {
      const org = await newOrg();
      const docs = [
        event([org]),
        event([org], { field: 'message_template_status_update', state: 'applied' }),
        event([org]),
        event([org], { state: 'unmatched', reason: 'No account has phone number id 1' }),
        event([org]),
      ];
      // In one write, out of order: the list orders them.
      await store.metaEvents.record([...docs].reverse());
      const newest = ids(docs).reverse();
      expect(ids(await store.metaEvents.list(org, { limit: 10 }))).toEqual(newest);

      const accountUpdates = ids(docs.filter((d) => d.field === 'account_update')).reverse();
      const page = await store.metaEvents.list(org, { field: 'account_update', limit: 2 });
      expect(ids(page)).toEqual(accountUpdates.slice(0, 2));
      const last = page.at(-1)!;
      const rest = await store.metaEvents.list(org, {
        field: 'account_update',
        limit: 10,
        before: { received_at: last.received_at, id: last._id },
      });
      expect(ids(rest)).toEqual(accountUpdates.slice(2));

      expect(ids(await store.metaEvents.list(org, { state: 'applied', limit: 10 }))).toEqual([
        docs[1]!._id,
      ]);
      const unmatched = await store.metaEvents.list(org, { state: 'unmatched', limit: 10 });
      expect(unmatched).toEqual([docs[3]]);
    });

    it('orders events received in the same millisecond by id', async () => {
      const org = await newOrg();
      const at = minutes(-1);
      const [a, b] = [event([org], { received_at: at }), event([org], { received_at: at })];
      await store.metaEvents.record([a, b]);
      const [first] = await store.metaEvents.list(org, { limit: 1 });
      expect(first!._id).toBe(b._id);
      const next = await store.metaEvents.list(org, {
        limit: 10,
        before: { received_at: at, id: first!._id },
      });
      expect(ids(next)).toEqual([a._id]);
    });

    it('shows an event to each organization it is about and to no other', async () => {
      const [one, two, other] = [await newOrg(), await newOrg(), await newOrg()];
      const shared = event([one, two]);
      const own = event([one]);
      await store.metaEvents.record([shared, own]);
      expect(ids(await store.metaEvents.list(one, { limit: 10 }))).toEqual([own._id, shared._id]);
      expect(ids(await store.metaEvents.list(two, { limit: 10 }))).toEqual([shared._id]);
      expect(await store.metaEvents.list(other, { limit: 10 })).toEqual([]);
    });

    it('keeps what matched no account, for no organization, and counts it', async () => {
      const org = await newOrg();
      const before = await store.metaEvents.countUnmatched();
      await store.metaEvents.record([
        event([], { state: 'unmatched', reason: 'No account has WABA 999' }),
        event([], { state: 'unmatched', reason: 'No account has WABA 998' }),
        event([org], { state: 'unmatched', reason: 'No account has phone number id 1' }),
        event([org]),
      ]);
      expect(await store.metaEvents.countUnmatched()).toBe(before + 3);
      expect(await store.metaEvents.list(org, { state: 'unmatched', limit: 10 })).toHaveLength(1);
    });

    it('purges those received before a time, unmatched ones too, and nothing newer', async () => {
      const org = await newOrg();
      const cutoff = new Date('2020-06-01T00:00:00Z');
      const old = event([org], { received_at: new Date('2020-05-01T00:00:00Z') });
      const oldUnmatched = event([], {
        state: 'unmatched',
        reason: 'No account has WABA 999',
        received_at: new Date('2020-05-31T23:59:59Z'),
      });
      const recent = event([org], { received_at: cutoff });
      await store.metaEvents.record([old, oldUnmatched, recent]);
      const unmatched = await store.metaEvents.countUnmatched();

      expect(await store.metaEvents.purgeBefore(cutoff)).toBe(2);
      expect(ids(await store.metaEvents.list(org, { limit: 10 }))).not.toContain(old._id);
      expect(ids(await store.metaEvents.list(org, { limit: 10 }))).toContain(recent._id);
      expect(await store.metaEvents.countUnmatched()).toBe(unmatched - 1);
      expect(await store.metaEvents.purgeBefore(cutoff)).toBe(0);
    });
  });
});

import { randomBytes } from 'node:crypto';
import { openStore } from '../../store';
import type { Store, StoreHandle } from '../../store/contract';
import type { NewAutomation } from '../../store/contract/automations';
import type { TemplateDoc } from '../../store/documents';
import { sequenceInput } from '../support/sequences';
import { openTestStore, STORE_KINDS, type TestStore } from '../support/store';

/**
 * Processes writing the same new record at once, as replicas do: each write lands, none is
 * refused because another inserted the record first. (FerretDB refuses the second of two
 * concurrent upserts of one new key as a duplicate; MongoDB and PostgreSQL never do.)
 */
const PROCESSES = 4;

const automation = (name: string): NewAutomation => ({
  name,
  enabled: true,
  account_id: 'acc-1',
  trigger: { type: 'keyword', keywords: ['hi'] },
  conditions: [],
  steps: [
    { id: 'hello', type: 'send_message', message: { type: 'text', text: name }, fallback: null },
  ],
  priority: 0,
});

const template = (orgId: string, name: string, status: string): TemplateDoc => ({
  _id: `acc-1:${name}:en`,
  org_id: orgId,
  account_id: 'acc-1',
  meta_id: `meta-${name}`,
  name,
  language: 'en',
  category: 'UTILITY',
  status,
  components: [{ type: 'BODY', text: 'Hello' }],
  parameter_counts: { header: 0, body: 0, buttons: [] },
  header_format: null,
  quality_score: null,
  synced_at: new Date(),
});

describe.each(STORE_KINDS)('%s', (kind) => {
  let t: TestStore;
  let others: StoreHandle[];
  /** One store per process, on the same database. */
  let stores: Store[];
  beforeAll(async () => {
    t = await openTestStore(kind);
    others = await Promise.all(Array.from({ length: PROCESSES - 1 }, () => openStore(t.config)));
    stores = [t.store, ...others.map((o) => o.store)];
  });
  afterAll(async () => {
    for (const o of others) await o.close();
    await t?.handle.close();
  });

  /** Runs `write` in every process at once; each must succeed. */
  async function atOnce(write: (store: Store, i: number) => Promise<unknown>): Promise<void> {
    const results = await Promise.allSettled(stores.map(write));
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
  }

  it("a sweep's first position", async () => {
    const at = new Date('2026-03-01T10:00:00Z');
    await atOnce((s, i) => s.automationInputs.setSweptThrough(new Date(at.getTime() + i)));
    const through = await t.store.automationInputs.sweptThrough();
    expect(through!.getTime() - at.getTime()).toBeLessThan(PROCESSES);
  });

  it("an organization's first gateway keys", async () => {
    const org = (await t.store.organizations.create('Acme'))._id;
    const keys = { key_id: 'rzp_test_1', key_secret: 'secret', webhook_secret: 'whsec' };
    await atOnce((s) => s.gatewaySettings.put(org, 'razorpay', keys, 'test'));
    const doc = await t.store.gatewaySettings.get(org, 'razorpay');
    expect(t.store.gatewaySettings.keysOf(doc!)).toEqual(keys);
  });

  it("a media file's first upload to an account", async () => {
    await atOnce((s, i) =>
      s.mediaUploads.record({
        media_id: 'media-1',
        account_id: 'acc-1',
        meta_media_id: `meta-${i}`,
        uploaded_at: new Date(),
      }),
    );
    expect((await t.store.mediaUploads.get('media-1', 'acc-1'))?.meta_media_id).toMatch(/^meta-/);
  });

  it('the first copy of templates and of Meta events', async () => {
    const org = (await t.store.organizations.create('Acme'))._id;
    const names = ['welcome', 'order_update', 'receipt'];
    await atOnce((s) => s.templates.upsert(names.map((n) => template(org, n, 'APPROVED'))));
    expect((await t.store.templates.list(org)).map((d) => d.name).sort()).toEqual(
      [...names].sort(),
    );
    const id = `me-${randomBytes(4).toString('hex')}`;
    await atOnce((s) =>
      s.metaEvents.record([
        {
          _id: id,
          org_ids: [org],
          waba_id: '102290129340398',
          phone_number_id: null,
          field: 'account_update',
          value: { event: 'VERIFIED_ACCOUNT' },
          state: 'stored',
          reason: null,
          received_at: new Date(),
        },
      ]),
    );
    expect(await t.store.metaEvents.list(org, { limit: 10 })).toHaveLength(1);
  });

  it('edits of an automation and of a sequence: each is answered, none refused', async () => {
    const org = (await t.store.organizations.create('Acme'))._id;
    const names = stores.map((_, i) => `edit ${i}`);
    const a = await t.store.automations.create(org, automation('start'));
    await atOnce((s, i) => s.automations.update(org, a._id, automation(names[i]!)));
    const edited = (await t.store.automations.get(org, a._id))!;
    expect(names).toContain(edited.name);
    expect(edited.version).toBeGreaterThan(a.version);

    const seq = await t.store.sequences.create(org, sequenceInput({ name: 'start' }));
    await atOnce((s, i) => s.sequences.update(org, seq._id, sequenceInput({ name: names[i]! })));
    const after = (await t.store.sequences.get(org, seq._id))!;
    expect(names).toContain(after.name);
    expect(after.version).toBeGreaterThan(seq.version);
  });
});

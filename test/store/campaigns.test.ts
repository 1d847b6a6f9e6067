import { randomUUID } from 'node:crypto';
import type { ContactInput } from '../../store/contact-fields';
import type { NewCampaign, RecipientView } from '../../store/contract/campaigns';
import type { Store } from '../../store/contract';
import type { NewMessage } from '../../store/contract/messages';
import type { CampaignAudience, CampaignDoc, ContactDoc } from '../../store/documents';
import { openRawStore, type RawStore } from '../support/raw-store';
import { openTestStore, STORE_KINDS, type TestStore } from '../support/store';

const T0 = Date.parse('2025-03-01T10:00:00Z');
const minutes = (n: number) => new Date(T0 + n * 60_000);

const campaignInput = (over: Partial<NewCampaign> = {}): NewCampaign => ({
  name: 'Spring sale',
  accountId: 'acc-1',
  audience: {},
  message: { type: 'text', text: 'Hi {{name | there}}' },
  mode: 'anytime',
  scheduledAt: null,
  throughput: null,
  ...over,
});

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

  const newOrg = async () => (await store.organizations.create('Acme'))._id;

  /** An opted-in contact created at `minutes(at)`, so send order is known. */
  async function contact(orgId: string, at: number, input: ContactInput): Promise<ContactDoc> {
    const doc = await store.contacts.create(orgId, { opted_in: true, ...input });
    await raw.update('contacts', { _id: doc._id }, { created_at: minutes(at) });
    return { ...doc, created_at: minutes(at) };
  }

  async function campaign(orgId: string, audience: CampaignAudience = {}): Promise<CampaignDoc> {
    return (await store.campaigns.create(orgId, campaignInput({ audience }))).doc;
  }

  const pendingIds = async (campaignId: string) =>
    (await store.campaigns.nextRecipients(campaignId, 0, 1_000)).map((r) => r.contact?._id);

  describe('campaigns', () => {
    it('creates a scheduled campaign and reads it back only within its organization', async () => {
      const org = await newOrg();
      const input = campaignInput({
        audience: { tags: ['vip'], tags_match: 'all', custom_field: { key: 'seats', value: 3 } },
        message: {
          type: 'template',
          template: { name: 'promo', language: 'en_US', components: [{ type: 'body' }] },
        },
        scheduledAt: minutes(60),
        throughput: 12.5,
        mode: '24h',
      });
      const { doc, created } = await store.campaigns.create(org, input);
      expect(created).toBe(true);
      expect(doc).toEqual({
        _id: expect.any(String),
        org_id: org,
        account_id: 'acc-1',
        name: 'Spring sale',
        audience: input.audience,
        message: input.message,
        mode: '24h',
        scheduled_at: minutes(60),
        throughput: 12.5,
        status: 'scheduled',
        total: null,
        error: null,
        pause_reason: null,
        request_hash: null,
        created_at: expect.any(Date),
        started_at: null,
        completed_at: null,
        updated_at: doc.created_at,
      });
      // Even a campaign due now starts as scheduled: its workflow moves it.
      expect((await store.campaigns.create(org, campaignInput())).doc.status).toBe('scheduled');
      expect(await store.campaigns.get(org, doc._id)).toEqual(doc);
      expect(await store.campaigns.byId(doc._id)).toEqual(doc);
      expect(await store.campaigns.get(await newOrg(), doc._id)).toBeNull();
      expect(await store.campaigns.byId(randomUUID())).toBeNull();
    });

    it('creates a campaign under a given id once, answering the stored one after', async () => {
      const org = await newOrg();
      const id = randomUUID();
      const first = await store.campaigns.create(org, {
        ...campaignInput(),
        id,
        requestHash: 'hash-1',
      });
      expect(first.created).toBe(true);
      expect(first.doc).toMatchObject({ _id: id, request_hash: 'hash-1' });
      const again = await store.campaigns.create(org, {
        ...campaignInput({ name: 'Another' }),
        id,
        requestHash: 'hash-2',
      });
      expect(again).toEqual({ doc: first.doc, created: false });
      expect(await store.campaigns.get(org, id)).toEqual(first.doc);
    });

    it('lists newest first after a (created_at, id) cursor, per organization', async () => {
      const org = await newOrg();
      const docs: CampaignDoc[] = [];
      for (let i = 0; i < 4; i++) docs.push(await campaign(org));
      // Two share a time: the id decides between them.
      const times = [minutes(1), minutes(3), minutes(2), minutes(2)];
      for (const [i, doc] of docs.entries()) {
        await raw.update('campaigns', { _id: doc._id }, { created_at: times[i] });
      }
      const tied = [docs[2]!._id, docs[3]!._id].sort().reverse();
      const expected = [docs[1]!._id, ...tied, docs[0]!._id];

      const first = await store.campaigns.list(org, { limit: 2 });
      expect(first.map((c) => c._id)).toEqual(expected.slice(0, 2));
      const last = first.at(-1)!;
      const rest = await store.campaigns.list(org, {
        limit: 10,
        before: { created_at: last.created_at, id: last._id },
      });
      expect(rest.map((c) => c._id)).toEqual(expected.slice(2));
      expect(await store.campaigns.list(await newOrg(), { limit: 10 })).toEqual([]);
    });

    it('updates the given fields only and returns the campaign', async () => {
      const org = await newOrg();
      const doc = await campaign(org);
      await new Promise((r) => setTimeout(r, 5));
      const started = minutes(5);
      const updated = await store.campaigns.update(doc._id, {
        status: 'running',
        started_at: started,
        total: 42,
      });
      expect(updated).toEqual({
        ...doc,
        status: 'running',
        started_at: started,
        total: 42,
        updated_at: expect.any(Date),
      });
      expect(updated!.updated_at.getTime()).toBeGreaterThan(doc.updated_at.getTime());
      expect(await store.campaigns.get(org, doc._id)).toEqual(updated);

      const failed = await store.campaigns.update(doc._id, { status: 'failed', error: 'boom' });
      expect(failed).toMatchObject({ status: 'failed', error: 'boom', total: 42 });
      expect(await store.campaigns.update(randomUUID(), { status: 'running' })).toBeNull();
    });

    it('finds the running campaigns of the given accounts, in any organization', async () => {
      const [one, two] = [await newOrg(), await newOrg()];
      const create = async (org: string, accountId: string, status?: 'running' | 'paused') => {
        const { doc } = await store.campaigns.create(org, campaignInput({ accountId }));
        return status ? (await store.campaigns.update(doc._id, { status }))! : doc;
      };
      const [a, b, other] = [randomUUID(), randomUUID(), randomUUID()];
      const running = [await create(one, a, 'running'), await create(two, b, 'running')];
      await create(one, a, 'paused');
      await create(one, a);
      await create(one, other, 'running');

      const found = await store.campaigns.running([a, b]);
      expect(found.map((c) => c._id).sort()).toEqual(running.map((c) => c._id).sort());
      expect(found.find((c) => c._id === running[0]!._id)).toEqual(running[0]);
      expect(await store.campaigns.running([])).toEqual([]);
    });

    it('keeps why a campaign is paused, and clears it', async () => {
      const org = await newOrg();
      const doc = await campaign(org);
      expect(doc.pause_reason).toBeNull();
      const why = { code: 'messaging_limit' as const, message: '250 users a day reached' };
      await store.campaigns.update(doc._id, { status: 'paused', pause_reason: why });
      expect((await store.campaigns.get(org, doc._id))!.pause_reason).toEqual(why);
      await store.campaigns.update(doc._id, { status: 'running', pause_reason: null });
      expect((await store.campaigns.get(org, doc._id))!.pause_reason).toBeNull();
    });
  });

  describe('audience', () => {
    let org: string;
    const c: Record<string, ContactDoc> = {};
    let foreign: ContactDoc;

    beforeAll(async () => {
      org = await newOrg();
      // Created out of name order: send order is by creation time.
      c.a = await contact(org, 5, {
        phone_number: '+919800000001',
        tags: ['vip', 'b2b'],
        stage: 'lead',
        custom_fields: { plan: 'pro', seats: 3, trial: false },
      });
      c.b = await contact(org, 1, {
        phone_number: '+919800000002',
        tags: ['vip'],
        stage: 'customer',
        custom_fields: { plan: 'free', seats: '3' },
      });
      c.c = await contact(org, 3, {
        phone_number: '+14155550001',
        tags: ['b2b'],
        stage: 'lead',
        custom_fields: { plan: 'pro' },
      });
      c.d = await contact(org, 2, { phone_number: '+14155550002' });
      c.e = await contact(org, 0, {
        phone_number: '+447700900001',
        tags: ['vip', 'b2b'],
        stage: 'lead',
        custom_fields: { plan: 'pro' },
        opted_in: false,
      });
      c.f = await contact(org, 4, { phone_number: '+12125550001', tags: ['vip'] });
      c.g = await contact(org, 6, { phone_number: '+9198000000099', tags: ['VIP'] });
      foreign = await contact(await newOrg(), 0, { phone_number: '+919800000001', tags: ['vip'] });
    });

    const names = (docs: ContactDoc[]) =>
      docs.map((d) => Object.keys(c).find((k) => c[k]!._id === d._id) ?? 'foreign');

    const cases: [string, CampaignAudience, string[]][] = [
      ['everyone opted in', {}, ['b', 'd', 'c', 'f', 'a', 'g']],
      ['any of one tag (case matters)', { tags: ['vip'] }, ['b', 'f', 'a']],
      ['any of two tags', { tags: ['vip', 'b2b'], tags_match: 'any' }, ['b', 'c', 'f', 'a']],
      ['all of two tags', { tags: ['vip', 'b2b'], tags_match: 'all' }, ['a']],
      ['a stage', { stage: 'lead' }, ['c', 'a']],
      ['a country code', { country_codes: ['91'] }, ['b', 'a', 'g']],
      ['a one-digit country code', { country_codes: ['1'] }, ['d', 'c', 'f']],
      ['a longer prefix', { country_codes: ['14155'] }, ['d', 'c']],
      ['a tag written with spaces', { tags: [' vip '] }, ['b', 'f', 'a']],
      ['all of a tag and a blank one', { tags: ['vip', ' '], tags_match: 'all' }, []],
      ['country codes, with or without +', { country_codes: ['+44', '1'] }, ['d', 'c', 'f']],
      ['a code only opted-out contacts have', { country_codes: ['44'] }, []],
      ['a text custom field', { custom_field: { key: 'plan', value: 'pro' } }, ['c', 'a']],
      ['a number custom field', { custom_field: { key: 'seats', value: 3 } }, ['a']],
      ['a text that looks like a number', { custom_field: { key: 'seats', value: '3' } }, ['b']],
      ['a false custom field', { custom_field: { key: 'trial', value: false } }, ['a']],
      ['an empty contact id list', { contact_ids: [] }, []],
      [
        'every condition at once',
        {
          tags: ['vip'],
          stage: 'lead',
          country_codes: ['91'],
          custom_field: { key: 'plan', value: 'pro' },
        },
        ['a'],
      ],
      ['a tag and a country', { tags: ['b2b'], country_codes: ['1'] }, ['c']],
      [
        'a stage and a custom field that no one has both',
        { stage: 'customer', custom_field: { key: 'plan', value: 'pro' } },
        [],
      ],
      ['an empty tag list', { tags: [] }, []],
      ['an empty tag list, all of it', { tags: [], tags_match: 'all' }, []],
      ['a country code that is not one', { country_codes: ['9x'] }, []],
      ['an unknown custom field', { custom_field: { key: 'nope', value: 'pro' } }, []],
    ];

    it.each(cases)('matches %s', async (_, audience, expected) => {
      expect(names(await store.campaigns.audienceSample(org, audience, 100))).toEqual(expected);
      expect(await store.campaigns.audienceSize(org, audience)).toBe(expected.length);
    });

    it('matches listed contacts of the organization only, never opted-out ones', async () => {
      const audience = { contact_ids: [c.a!._id, c.e!._id, foreign._id, c.d!._id] };
      expect(names(await store.campaigns.audienceSample(org, audience, 100))).toEqual(['d', 'a']);
      expect(await store.campaigns.audienceSize(org, audience)).toBe(2);
      const foreignOnly = { contact_ids: [foreign._id] };
      expect(await store.campaigns.audienceSize(org, foreignOnly)).toBe(0);
    });

    it('samples the first contacts in send order', async () => {
      expect(names(await store.campaigns.audienceSample(org, {}, 2))).toEqual(['b', 'd']);
      const sample = await store.campaigns.audienceSample(org, { stage: 'customer' }, 1);
      expect(sample).toEqual([await store.contacts.get(org, c.b!._id)]);
    });

    it('follows contacts as they change', async () => {
      const other = await newOrg();
      const x = await contact(other, 0, { phone_number: '+919811111111', tags: ['new'] });
      expect(await store.campaigns.audienceSize(other, { tags: ['new'] })).toBe(1);
      await store.contacts.update(other, x._id, { opted_in: false });
      expect(await store.campaigns.audienceSize(other, { tags: ['new'] })).toBe(0);
    });
  });

  describe('recipients', () => {
    /** An organization with `n` opted-in contacts (seq order = index order), and a campaign. */
    async function withRecipients(n: number, audience: CampaignAudience = { tags: ['x'] }) {
      const org = await newOrg();
      const contacts: ContactDoc[] = [];
      for (let i = 0; i < n; i++) {
        contacts.push(
          await contact(org, i, {
            phone_number: `+1415555${String(i).padStart(4, '0')}`,
            tags: ['x'],
          }),
        );
      }
      const doc = await campaign(org, audience);
      return { org, contacts, doc };
    }

    it('snapshots the audience once, in send order', async () => {
      const org = await newOrg();
      const late = await contact(org, 9, { phone_number: '+14155550003', tags: ['x'] });
      const early = await contact(org, 1, { phone_number: '+14155550001', tags: ['x'] });
      await contact(org, 0, { phone_number: '+14155550000', tags: ['y'] });
      await contact(org, 2, { phone_number: '+14155550002', tags: ['x'], opted_in: false });
      const doc = await campaign(org, { tags: ['x'] });

      expect(await store.campaigns.snapshot(doc)).toBe(2);
      const rows = await store.campaigns.nextRecipients(doc._id, 0, 10);
      expect(rows.map((r) => r.recipient)).toEqual([
        {
          campaign_id: doc._id,
          contact_id: early._id,
          seq: 1,
          phone_number: '+14155550001',
          state: 'pending',
          message_id: null,
          reason: null,
        },
        {
          campaign_id: doc._id,
          contact_id: late._id,
          seq: 2,
          phone_number: '+14155550003',
          state: 'pending',
          message_id: null,
          reason: null,
        },
      ]);
      expect(rows.map((r) => r.contact)).toEqual([
        await store.contacts.get(org, early._id),
        await store.contacts.get(org, late._id),
      ]);

      // A contact matching later is not added, and what happened to recipients stays.
      const newcomer = await contact(org, 10, { phone_number: '+14155550009', tags: ['x'] });
      await store.campaigns.markRecipients(doc._id, [
        { contact_id: early._id, state: 'skipped', message_id: null, reason: 'nope' },
      ]);
      expect(await store.campaigns.snapshot(doc)).toBe(2);
      expect(await store.campaigns.snapshot({ ...doc, audience: {} })).toBe(2);
      const all = await store.campaigns.recipients(doc._id, { limit: 10 });
      expect(all.map((r) => [r.contact_id, r.seq, r.state])).toEqual([
        [early._id, 1, 'skipped'],
        [late._id, 2, 'pending'],
      ]);
      expect(all.some((r) => r.contact_id === newcomer._id)).toBe(false);
    });

    it('snapshots an audience that matched no one once too', async () => {
      const org = await newOrg();
      const doc = await campaign(org, { tags: ['x'] });
      expect(await store.campaigns.snapshot(doc)).toBe(0);
      await contact(org, 0, { phone_number: '+14155550001', tags: ['x'] });
      expect(await store.campaigns.snapshot(doc)).toBe(0);
      expect(await store.campaigns.counts(doc._id)).toMatchObject({ total: 0, pending: 0 });
    });

    it('writes one snapshot when several run at once', async () => {
      const org = await newOrg();
      const n = 2_000;
      const rows = Array.from({ length: n }, (_, i) => ({
        phone_number: `+1415${String(i).padStart(7, '0')}`,
        tags: ['x'],
        opted_in: true,
      }));
      await store.contacts.upsertMany(org, rows);
      const doc = await campaign(org, { tags: ['x'] });
      const written = await Promise.all(
        Array.from({ length: 4 }, () => store.campaigns.snapshot(doc)),
      );
      expect(written).toEqual([n, n, n, n]);
      const seqs = (await store.campaigns.recipients(doc._id, { limit: n + 1 })).map((r) => r.seq);
      expect(seqs).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    });

    it('keeps the recipients of campaigns apart', async () => {
      const { org, contacts, doc } = await withRecipients(3);
      const second = await campaign(org, { contact_ids: [contacts[2]!._id] });
      expect(await store.campaigns.snapshot(doc)).toBe(3);
      expect(await store.campaigns.snapshot(second)).toBe(1);
      await store.campaigns.markRecipients(second._id, [
        { contact_id: contacts[2]!._id, state: 'cancelled', message_id: null, reason: null },
      ]);
      expect(await store.campaigns.counts(doc._id)).toMatchObject({ total: 3, pending: 3 });
      expect(await store.campaigns.counts(second._id)).toMatchObject({ total: 1, cancelled: 1 });
      const [only] = await store.campaigns.recipients(second._id, { limit: 10 });
      expect(only).toMatchObject({ contact_id: contacts[2]!._id, seq: 1, state: 'cancelled' });
      const third = await campaign(org, { contact_ids: [contacts[0]!._id] });
      await store.campaigns.snapshot(third);
      expect(await store.campaigns.cancelPending(third._id)).toBe(1);
      expect(await store.campaigns.counts(doc._id)).toMatchObject({ pending: 3, cancelled: 0 });
    });

    it('pages through pending recipients with their contacts as they are now', async () => {
      const { org, contacts, doc } = await withRecipients(5);
      await store.campaigns.snapshot(doc);
      const seqs = async (after: number, limit: number) =>
        (await store.campaigns.nextRecipients(doc._id, after, limit)).map((r) => r.recipient.seq);
      expect(await seqs(0, 2)).toEqual([1, 2]);
      expect(await seqs(2, 2)).toEqual([3, 4]);
      expect(await seqs(4, 2)).toEqual([5]);
      expect(await seqs(5, 2)).toEqual([]);

      await store.campaigns.markRecipients(doc._id, [
        { contact_id: contacts[1]!._id, state: 'queued', message_id: 'm-1', reason: null },
      ]);
      expect(await seqs(0, 2)).toEqual([1, 3]);

      await store.contacts.update(org, contacts[2]!._id, { name: 'Renamed' });
      await store.contacts.delete(org, contacts[3]!._id);
      const page = await store.campaigns.nextRecipients(doc._id, 2, 10);
      expect(page.map((r) => [r.recipient.seq, r.contact?.name ?? null])).toEqual([
        [3, 'Renamed'],
        [4, null],
        [5, null],
      ]);
      expect(page[1]!.contact).toBeNull();
      expect(page[2]!.contact?._id).toBe(contacts[4]!._id);
      expect(page[1]!.recipient.phone_number).toBe(contacts[3]!.phone_number);
    });

    it('marks recipients queued, skipped or cancelled', async () => {
      const { contacts, doc } = await withRecipients(4);
      await store.campaigns.snapshot(doc);
      const [a, b, c] = contacts.map((x) => x._id);
      await store.campaigns.markRecipients(doc._id, [
        { contact_id: a!, state: 'queued', message_id: 'msg-a', reason: null },
        {
          contact_id: b!,
          state: 'skipped',
          message_id: null,
          reason: 'Outside the 24-hour window',
        },
        { contact_id: c!, state: 'cancelled', message_id: null, reason: null },
        { contact_id: 'not-a-recipient', state: 'skipped', message_id: null, reason: 'x' },
      ]);
      await store.campaigns.markRecipients(doc._id, []);
      const rows = await store.campaigns.recipients(doc._id, { limit: 10 });
      expect(rows.map((r) => [r.seq, r.state, r.message_id, r.reason])).toEqual([
        [1, 'queued', 'msg-a', null],
        [2, 'skipped', null, 'Outside the 24-hour window'],
        [3, 'cancelled', null, null],
        [4, 'pending', null, null],
      ]);
      expect(await pendingIds(doc._id)).toEqual([contacts[3]!._id]);
      expect(await store.campaigns.counts(doc._id)).toMatchObject({ total: 4 });
    });

    it('cancels what is pending, once', async () => {
      const { contacts, doc } = await withRecipients(5);
      await store.campaigns.snapshot(doc);
      await store.campaigns.markRecipients(doc._id, [
        { contact_id: contacts[0]!._id, state: 'queued', message_id: 'm-0', reason: null },
        { contact_id: contacts[1]!._id, state: 'skipped', message_id: null, reason: 'x' },
      ]);
      expect(await store.campaigns.cancelPending(doc._id)).toBe(3);
      expect(await store.campaigns.cancelPending(doc._id)).toBe(0);
      expect(await pendingIds(doc._id)).toEqual([]);
      expect(await store.campaigns.counts(doc._id)).toEqual({
        total: 5,
        pending: 0,
        queued: 1,
        sent: 0,
        delivered: 0,
        read: 0,
        failed: 0,
        deferred: 0,
        skipped: 1,
        cancelled: 3,
        billable: { marketing: 0, utility: 0, authentication: 0, service: 0 },
      });
    });

    describe('with messages', () => {
      let org: string;
      let doc: CampaignDoc;
      let contacts: ContactDoc[];
      const messageIds: string[] = [];

      const message = (to: ContactDoc, campaignId = doc._id): NewMessage => ({
        _id: randomUUID(),
        org_id: org,
        account_id: 'acc-1',
        contact_id: to._id,
        direction: 'outbound',
        phone_number: to.phone_number,
        user_id: null,
        type: 'text',
        content: { body: 'hi' },
        origin: 'campaign',
        origin_id: campaignId,
        request_hash: null,
        wamid: null,
        status: 'queued',
      });

      beforeAll(async () => {
        ({ org, contacts, doc } = await withRecipients(9));
        await store.campaigns.snapshot(doc);
        // Recipients 1-6 get a message each, queued.
        for (const to of contacts.slice(0, 6)) {
          const { doc: m } = await store.messages.insert(message(to));
          messageIds.push(m._id);
        }
        await store.campaigns.markRecipients(doc._id, [
          ...contacts.slice(0, 6).map((to, i) => ({
            contact_id: to._id,
            state: 'queued' as const,
            message_id: messageIds[i]!,
            reason: null,
          })),
          { contact_id: contacts[6]!._id, state: 'skipped', message_id: null, reason: 'window' },
          { contact_id: contacts[8]!._id, state: 'cancelled', message_id: null, reason: null },
        ]);
        const at = minutes(10);
        // 1 stays queued; 2 sent; 3 delivered; 4 read; 5 failed; 6 read though delivered came late.
        await store.messages.recordSent(messageIds[1]!, 'wamid.2', at);
        await store.messages.recordSent(messageIds[2]!, 'wamid.3', at);
        await store.messages.applyStatus(messageIds[2]!, 'delivered', at);
        await store.messages.recordSent(messageIds[3]!, 'wamid.4', at);
        await store.messages.applyStatus(messageIds[3]!, 'delivered', at);
        await store.messages.applyStatus(messageIds[3]!, 'read', at);
        await store.messages.applyStatus(messageIds[4]!, 'failed', at, {
          code: 131026,
          message: 'Message undeliverable',
        });
        await store.messages.recordSent(messageIds[5]!, 'wamid.6', at);
        await store.messages.applyStatus(messageIds[5]!, 'read', at);
        await store.messages.applyStatus(messageIds[5]!, 'delivered', at);
      });

      it('counts recipients by what became of their messages', async () => {
        expect(await store.campaigns.counts(doc._id)).toEqual({
          total: 9,
          pending: 1,
          queued: 1,
          sent: 4,
          delivered: 3,
          read: 2,
          failed: 1,
          deferred: 0,
          skipped: 1,
          cancelled: 1,
          billable: { marketing: 0, utility: 0, authentication: 0, service: 0 },
        });
        expect(await store.campaigns.counts(randomUUID())).toEqual({
          total: 0,
          pending: 0,
          queued: 0,
          sent: 0,
          delivered: 0,
          read: 0,
          failed: 0,
          deferred: 0,
          skipped: 0,
          cancelled: 0,
          billable: { marketing: 0, utility: 0, authentication: 0, service: 0 },
        });
      });

      it('shows a deferred message as deferred, still in the queue, with when it goes again', async () => {
        const until = new Date(Date.now() + 86_400_000);
        const reason = { code: 131049, message: 'Marketing cap' };
        const where = kind === 'postgres' ? { id: messageIds[0] } : { _id: messageIds[0] };
        await raw.update('messages', where, { deferred: { until, reason } });
        try {
          expect(await store.campaigns.counts(doc._id)).toMatchObject({ queued: 0, deferred: 1 });
          expect(await store.campaigns.inQueue(doc._id)).toBe(1);
          const [shown] = await store.campaigns.recipients(doc._id, { limit: 1 });
          expect(shown).toMatchObject({ state: 'deferred', error: reason });
          expect(shown!.deferred_until?.getTime()).toBe(until.getTime());
          const byState = await store.campaigns.recipients(doc._id, {
            limit: 10,
            state: 'deferred',
          });
          expect(byState.map((r) => r.message_id)).toEqual([messageIds[0]]);
          expect(await store.campaigns.recipients(doc._id, { limit: 10, state: 'queued' })).toEqual(
            [],
          );
        } finally {
          await raw.update('messages', where, { deferred: null });
        }
      });

      it('shows each recipient with its message', async () => {
        const rows = await store.campaigns.recipients(doc._id, { limit: 100 });
        const expected: RecipientView[] = [
          ['queued', null, null],
          ['sent', 'wamid.2', null],
          ['delivered', 'wamid.3', null],
          ['read', 'wamid.4', null],
          ['failed', null, { code: 131026, message: 'Message undeliverable' }],
          ['read', 'wamid.6', null],
        ].map(([state, wamid, error], i) => ({
          contact_id: contacts[i]!._id,
          seq: i + 1,
          phone_number: contacts[i]!.phone_number,
          state: state as RecipientView['state'],
          message_id: messageIds[i]!,
          wamid: wamid as string | null,
          error: error as RecipientView['error'],
          reason: null,
          deferred_until: null,
          pricing: null,
        }));
        expected.push(
          {
            contact_id: contacts[6]!._id,
            seq: 7,
            phone_number: contacts[6]!.phone_number,
            state: 'skipped',
            message_id: null,
            wamid: null,
            error: null,
            pricing: null,
            reason: 'window',
            deferred_until: null,
          },
          {
            contact_id: contacts[7]!._id,
            seq: 8,
            phone_number: contacts[7]!.phone_number,
            state: 'pending',
            message_id: null,
            wamid: null,
            error: null,
            pricing: null,
            reason: null,
            deferred_until: null,
          },
          {
            contact_id: contacts[8]!._id,
            seq: 9,
            phone_number: contacts[8]!.phone_number,
            state: 'cancelled',
            message_id: null,
            wamid: null,
            error: null,
            pricing: null,
            reason: null,
            deferred_until: null,
          },
        );
        expect(rows).toEqual(expected);
        const page = await store.campaigns.recipients(doc._id, { limit: 3, afterSeq: 2 });
        expect(page).toEqual(expected.slice(2, 5));
      });

      it('filters recipients by state, message statuses included', async () => {
        const seqsOf = async (state: RecipientView['state'], afterSeq?: number, limit = 100) =>
          (await store.campaigns.recipients(doc._id, { limit, afterSeq, state })).map((r) => r.seq);
        expect(await seqsOf('queued')).toEqual([1]);
        expect(await seqsOf('sent')).toEqual([2]);
        expect(await seqsOf('delivered')).toEqual([3]);
        expect(await seqsOf('read')).toEqual([4, 6]);
        expect(await seqsOf('read', 4)).toEqual([6]);
        expect(await seqsOf('read', 0, 1)).toEqual([4]);
        expect(await seqsOf('failed')).toEqual([5]);
        expect(await seqsOf('pending')).toEqual([8]);
        expect(await seqsOf('skipped')).toEqual([7]);
        expect(await seqsOf('cancelled')).toEqual([9]);
      });

      it('counts the recipients whose message is still in the send queue', async () => {
        expect(await store.campaigns.inQueue(doc._id)).toBe(1);
        const other = await campaign(org, { tags: ['x'] });
        await store.campaigns.snapshot(other);
        expect(await store.campaigns.inQueue(other._id)).toBe(0);
        // A queued recipient of another campaign does not count here, nor its message there.
        const extra = await store.messages.insert(message(contacts[7]!, other._id));
        await store.campaigns.markRecipients(other._id, [
          {
            contact_id: contacts[7]!._id,
            state: 'queued',
            message_id: extra.doc._id,
            reason: null,
          },
        ]);
        expect(await store.campaigns.inQueue(other._id)).toBe(1);
        expect(await store.campaigns.inQueue(doc._id)).toBe(1);
        await store.messages.recordSent(messageIds[0]!, 'wamid.1', minutes(11));
        expect(await store.campaigns.inQueue(doc._id)).toBe(0);
        expect(await store.campaigns.counts(doc._id)).toMatchObject({ queued: 0, sent: 5 });
      });
    });
  });
});

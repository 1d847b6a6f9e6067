import { ConflictError, ValidationError } from '../../lib/errors';
import type { Store } from '../../store/contract';
import { openTestStore, STORE_KINDS, type TestStore } from '../support/store';

const at = (iso: string) => new Date(iso);

describe.each(STORE_KINDS)('%s', (kind) => {
  let t: TestStore;
  let store: Store;
  beforeAll(async () => {
    t = await openTestStore(kind);
    store = t.store;
  });
  afterAll(() => t?.handle.close());

  const newOrg = async () => (await store.organizations.create('Acme'))._id;
  /** The organization's recorded events, oldest first. */
  const events = async (orgId: string, type?: string) =>
    (await store.events.list(orgId, type ? { type } : {}, 1_000)).reverse();
  const contactCount = async (orgId: string) =>
    (await store.contacts.list(orgId, { page: 1, limit: 1 })).total;

  describe('contacts', () => {
    it('normalises the phone number and refuses it twice, however it is written', async () => {
      const org = await newOrg();
      const doc = await store.contacts.create(org, {
        phone_number: '+91 98765-43210',
        name: 'Ana',
      });
      expect(doc).toMatchObject({ phone_number: '+919876543210', source: 'api', opted_in: false });
      await expect(store.contacts.create(org, { phone_number: '0091 9876543210' })).rejects.toThrow(
        new ConflictError("A contact with phone_number '+919876543210' already exists"),
      );
      // Another organization may have the same number.
      await expect(
        store.contacts.create(await newOrg(), { phone_number: '+919876543210' }),
      ).resolves.toMatchObject({ phone_number: '+919876543210' });
      await expect(store.contacts.create(org, { phone_number: '12ab' })).rejects.toThrow(
        ValidationError,
      );
    });

    it('finds by phone with or without +, and only within the organization', async () => {
      const org = await newOrg();
      const doc = await store.contacts.create(org, { phone_number: '+14155550101' });
      expect((await store.contacts.findByPhone(org, '14155550101'))?._id).toBe(doc._id);
      expect((await store.contacts.get(org, doc._id))?._id).toBe(doc._id);
      const other = await newOrg();
      expect(await store.contacts.findByPhone(other, '+14155550101')).toBeNull();
      expect(await store.contacts.get(other, doc._id)).toBeNull();
      expect(await store.contacts.findByPhone(org, 'not a phone')).toBeNull();
    });

    it('gets many by id in one call, within the organization, leaving unknown ids out', async () => {
      const org = await newOrg();
      const a = await store.contacts.create(org, { phone_number: '+14155550191', name: 'A' });
      const b = await store.contacts.create(org, { phone_number: '+14155550192', name: 'B' });
      const elsewhere = await store.contacts.create(await newOrg(), {
        phone_number: '+14155550193',
      });
      const found = await store.contacts.getMany(org, [b._id, 'nope', a._id, elsewhere._id]);
      expect(found.sort((x, y) => x.name!.localeCompare(y.name!))).toEqual([a, b]);
      expect(await store.contacts.getMany(org, [])).toEqual([]);
    });

    it('stores every field as given and reads it back the same', async () => {
      const org = await newOrg();
      const doc = await store.contacts.create(org, {
        phone_number: '+14155550107',
        name: 'Zoë',
        email: 'zoe@example.com',
        tags: ['vip', 'b2b'],
        stage: 'Customer',
        custom_fields: { plan: 'pro', seats: 3, trial: false, referrer: null },
        opted_in: true,
      });
      const read = await store.contacts.get(org, doc._id);
      expect(read).toEqual(doc);
      expect(read).toMatchObject({
        tags: ['vip', 'b2b'],
        custom_fields: { plan: 'pro', seats: 3, trial: false, referrer: null },
        last_inbound_at: null,
      });
    });

    it('lists newest first, filtered, with the total of every match', async () => {
      const org = await newOrg();
      const ids: string[] = [];
      for (const [i, tags] of [['a'], ['a', 'b'], ['b'], ['a']].entries()) {
        const doc = await store.contacts.create(org, {
          phone_number: `+1415555020${i}`,
          name: i === 2 ? 'Maria Lopez' : `Person ${i}`,
          tags,
          stage: i % 2 ? 'Lead' : 'Customer',
        });
        ids.push(doc._id);
        await new Promise((r) => setTimeout(r, 5));
      }
      const page = await store.contacts.list(org, { page: 1, limit: 2, tag: 'a' });
      expect(page.total).toBe(3);
      expect(page.contacts.map((c) => c._id)).toEqual([ids[3], ids[1]]);
      const next = await store.contacts.list(org, { page: 2, limit: 2, tag: 'a' });
      expect(next.contacts.map((c) => c._id)).toEqual([ids[0]]);
      expect((await store.contacts.list(org, { page: 1, limit: 10, stage: 'Lead' })).total).toBe(2);
      const byName = await store.contacts.list(org, { page: 1, limit: 10, search: 'LOPEZ' });
      expect(byName.contacts.map((c) => c._id)).toEqual([ids[2]]);
      const byPhone = await store.contacts.list(org, { page: 1, limit: 10, search: '14155550203' });
      expect(byPhone.contacts.map((c) => c._id)).toEqual([ids[3]]);
      expect((await store.contacts.list(await newOrg(), { page: 1, limit: 10 })).total).toBe(0);
    });

    it('records an update with its changed fields, and nothing for a change to the same values', async () => {
      const org = await newOrg();
      const doc = await store.contacts.create(org, {
        phone_number: '+14155550102',
        tags: ['a', 'b'],
        custom_fields: { plan: 'pro', seats: 3 },
      });
      await store.outbox.flush('contacts', doc._id);

      const same = await store.contacts.update(org, doc._id, {
        tags: [' b', 'a', 'a '],
        custom_fields: { seats: 3, plan: 'pro' },
        phone_number: '14155550102',
      });
      expect(same?.changes).toEqual([]);

      const res = await store.contacts.update(org, doc._id, {
        name: 'Bo',
        stage: 'Lead',
        tags: ['a'],
      });
      expect(res?.changes.sort()).toEqual(['name', 'stage', 'tags']);
      expect(res?.contact).toMatchObject({ name: 'Bo', stage: 'Lead', tags: ['a'] });
      await store.outbox.flush('contacts', doc._id);
      const updated = await events(org, 'contact.updated');
      expect(updated).toHaveLength(1);
      expect(updated[0]!.data).toMatchObject({
        id: doc._id,
        name: 'Bo',
        stage: 'Lead',
        tags: ['a'],
        custom_fields: { plan: 'pro', seats: 3 },
        changes: expect.arrayContaining(['name', 'stage', 'tags']),
      });
      expect(await store.contacts.update(await newOrg(), doc._id, { name: 'X' })).toBeNull();
    });

    it("refuses a phone number another of the organization's contacts has", async () => {
      const org = await newOrg();
      await store.contacts.create(org, { phone_number: '+14155550108' });
      const doc = await store.contacts.create(org, { phone_number: '+14155550109' });
      await expect(
        store.contacts.update(org, doc._id, { phone_number: '+14155550108' }),
      ).rejects.toThrow(ConflictError);
      expect((await store.contacts.get(org, doc._id))?.phone_number).toBe('+14155550109');
    });

    it('refuses a custom field named with a NUL character, naming the field', async () => {
      const org = await newOrg();
      const bad = { 'a\u0000b': 'x' };
      const created = store.contacts.create(org, {
        phone_number: '+14155550130',
        custom_fields: bad,
      });
      await expect(created).rejects.toThrow(ValidationError);
      await expect(created).rejects.toThrow(/custom_fields/);
      expect(await store.contacts.findByPhone(org, '+14155550130')).toBeNull();

      const doc = await store.contacts.create(org, {
        phone_number: '+14155550131',
        custom_fields: { plan: 'pro' },
      });
      const updated = store.contacts.update(org, doc._id, { custom_fields: bad });
      await expect(updated).rejects.toThrow(ValidationError);
      await expect(updated).rejects.toThrow(/custom_fields/);
      expect((await store.contacts.get(org, doc._id))?.custom_fields).toEqual({ plan: 'pro' });
    });

    it('refuses a NUL character in any text field, naming the field', async () => {
      const org = await newOrg();
      const cases: [Record<string, unknown>, RegExp][] = [
        [{ name: 'A\u0000B' }, /^name: /],
        [{ stage: 'Lead\u0000' }, /^stage: /],
        [{ tags: ['ok', 'b\u0000d'] }, /^tags: /],
        [{ custom_fields: { plan: 'p\u0000ro' } }, /^custom_fields\.plan: /],
      ];
      for (const [fields, message] of cases) {
        const attempt = store.contacts.create(org, { phone_number: '+14155550132', ...fields });
        await expect(attempt).rejects.toThrow(ValidationError);
        await expect(attempt).rejects.toThrow(message);
      }
      expect(await contactCount(org)).toBe(0);
    });

    it.each(['a.b', '$plan'])(
      'refuses a custom field named %j (a path or an operator to MongoDB) on every store',
      async (key) => {
        const org = await newOrg();
        const custom_fields = { [key]: 'x', plan: 'pro' };
        const created = store.contacts.create(org, { phone_number: '+14155550133', custom_fields });
        await expect(created).rejects.toThrow(ValidationError);
        await expect(created).rejects.toThrow(/^custom_fields: /);
        expect(await contactCount(org)).toBe(0);

        const doc = await store.contacts.create(org, { phone_number: '+14155550134' });
        const updated = store.contacts.update(org, doc._id, { custom_fields });
        await expect(updated).rejects.toThrow(ValidationError);
        expect((await store.contacts.get(org, doc._id))?.custom_fields).toEqual({});
      },
    );

    it('upserts many by phone: rows for one number apply in order, bad rows stand alone', async () => {
      const org = await newOrg();
      const existing = await store.contacts.create(org, { phone_number: '+14155550103' });
      const results = await store.contacts.upsertMany(org, [
        { phone_number: '+1 415 555 0104', name: 'First' },
        { phone_number: 'nope' },
        { phone_number: '14155550104', stage: 'Lead' },
        { phone_number: '+14155550103', name: 'Known' },
        { phone_number: '+14155550103', name: 'Known' },
      ]);
      expect(results.map((r) => r.status)).toEqual([
        'created',
        'error',
        'updated',
        'updated',
        'updated',
      ]);
      expect(results[1]).toEqual({
        status: 'error',
        error: 'Invalid phone number: phone_number must be E.164, like +919876543210',
      });
      expect(results.map((r) => ('changed' in r ? r.changed : null))).toEqual([
        true,
        null,
        true,
        true,
        false,
      ]);
      const created = await store.contacts.findByPhone(org, '+14155550104');
      expect(created).toMatchObject({ name: 'First', stage: 'Lead', source: 'bulk' });
      expect((await store.contacts.get(org, existing._id))?.name).toBe('Known');
    });

    it('upserts the other rows of a batch when one row cannot be stored', async () => {
      const org = await newOrg();
      const existing = await store.contacts.create(org, { phone_number: '+14155550140' });
      await store.outbox.flush('contacts', existing._id);
      const fresh = Array.from({ length: 20 }, (_, i) => ({
        phone_number: `+1415555015${String(i).padStart(2, '0')}`,
        name: `Row ${i}`,
      }));
      const results = await store.contacts.upsertMany(org, [
        ...fresh.slice(0, 10),
        // Valid to the API's eyes, refused by the store.
        { phone_number: '+14155550199', custom_fields: { 'a\u0000b': 'x' } },
        { phone_number: '+14155550140', stage: 'Lead' },
        ...fresh.slice(10),
      ]);
      expect(results).toHaveLength(22);
      expect(results[10]).toEqual({
        status: 'error',
        error: expect.stringMatching(/custom_fields/),
      });
      expect(results[11]).toEqual({ status: 'updated', id: existing._id, changed: true });
      const others = results.filter((_, i) => i !== 10 && i !== 11);
      expect(others.map((r) => r.status)).toEqual(Array(20).fill('created'));

      expect(await store.contacts.findByPhone(org, '+14155550199')).toBeNull();
      for (const row of fresh) {
        expect((await store.contacts.findByPhone(org, row.phone_number))?.name).toBe(row.name);
      }
      expect((await store.contacts.get(org, existing._id))?.stage).toBe('Lead');
      expect(await contactCount(org)).toBe(21);
      await store.outbox.flushMany(
        'contacts',
        results.flatMap((r) => ('id' in r ? [r.id] : [])),
      );
      expect(await events(org, 'contact.created')).toHaveLength(21);
      expect(await events(org, 'contact.updated')).toHaveLength(1);
    });

    it('makes the events of a write that was never flushed visible exactly once', async () => {
      const org = await newOrg();
      // Written without flushing, as if the process died right after the write.
      const doc = await store.contacts.create(org, { phone_number: '+14155550105' });
      await store.outbox.sweep();
      expect(await events(org)).toHaveLength(1);

      await store.outbox.sweep();
      await store.outbox.flush('contacts', doc._id);
      await store.outbox.flushMany('contacts', [doc._id]);
      const recorded = await events(org);
      expect(recorded).toHaveLength(1);
      expect(recorded[0]).toMatchObject({
        type: 'contact.created',
        data: { id: doc._id, phone_number: '+14155550105', source: 'api' },
      });
      expect(await store.outbox.flush('contacts', doc._id)).toBe(0);
    });

    it('flushes pending events before deleting, so none is lost with the contact', async () => {
      const org = await newOrg();
      const doc = await store.contacts.create(org, { phone_number: '+14155550106' });
      expect(await store.contacts.delete(await newOrg(), doc._id)).toBe(false);
      expect(await store.contacts.delete(org, doc._id)).toBe(true);
      expect(await store.contacts.get(org, doc._id)).toBeNull();
      expect((await events(org, 'contact.created')).map((e) => e.data.id)).toEqual([doc._id]);
      expect(await store.contacts.delete(org, doc._id)).toBe(false);
    });
  });

  describe('recordInbound', () => {
    it('creates an opted-in contact named from WhatsApp, with one contact.created', async () => {
      const org = await newOrg();
      const when = at('2026-03-01T10:00:00Z');
      const { contact, created } = await store.contacts.recordInbound(
        org,
        { phone: '14155550110', userId: null },
        {
          name: 'Wa Name',
          at: when,
        },
      );
      expect(created).toBe(true);
      expect(contact).toMatchObject({
        phone_number: '+14155550110',
        name: 'Wa Name',
        source: 'whatsapp_webhook',
        opted_in: true,
        last_inbound_at: when,
      });
      const recorded = await events(org);
      expect(recorded.map((e) => e.type)).toEqual(['contact.created']);
      expect(recorded[0]!.data).toMatchObject({ id: contact._id, source: 'whatsapp_webhook' });
    });

    it('creates one contact and one event when calls for a new number race', async () => {
      const org = await newOrg();
      const calls = await Promise.all(
        Array.from({ length: 5 }, (_, i) =>
          store.contacts.recordInbound(
            org,
            { phone: '+14155550111', userId: null },
            {
              name: 'Racer',
              at: new Date(Date.parse('2026-03-01T10:00:00Z') + i * 1000),
            },
          ),
        ),
      );
      expect(calls.filter((c) => c.created)).toHaveLength(1);
      expect(new Set(calls.map((c) => c.contact._id)).size).toBe(1);
      expect(await contactCount(org)).toBe(1);
      expect((await events(org)).map((e) => e.type)).toEqual(['contact.created']);
      const stored = await store.contacts.findByPhone(org, '+14155550111');
      expect(stored).toMatchObject({
        name: 'Racer',
        source: 'whatsapp_webhook',
        last_inbound_at: at('2026-03-01T10:00:04Z'),
      });
    });

    it('moves the window clock forward only, and records no event for it', async () => {
      const org = await newOrg();
      const phone = '+14155550112';
      await store.contacts.recordInbound(
        org,
        { phone: phone, userId: null },
        { name: 'A', at: at('2026-03-01T12:00:00Z') },
      );
      const late = await store.contacts.recordInbound(
        org,
        { phone: phone, userId: null },
        {
          name: 'A',
          at: at('2026-03-01T09:00:00Z'),
        },
      );
      expect(late.created).toBe(false);
      expect(late.contact.last_inbound_at).toEqual(at('2026-03-01T12:00:00Z'));
      const next = await store.contacts.recordInbound(
        org,
        { phone: phone, userId: null },
        {
          at: at('2026-03-02T08:00:00Z'),
        },
      );
      expect(next.contact.last_inbound_at).toEqual(at('2026-03-02T08:00:00Z'));
      expect((await events(org)).map((e) => e.type)).toEqual(['contact.created']);
    });

    it('fills a missing name once (contact.updated) and never overwrites one', async () => {
      const org = await newOrg();
      const doc = await store.contacts.create(org, { phone_number: '+14155550113' });
      await store.outbox.flush('contacts', doc._id);
      const first = await store.contacts.recordInbound(
        org,
        { phone: '+14155550113', userId: null },
        {
          name: 'From WhatsApp',
          at: at('2026-03-01T10:00:00Z'),
        },
      );
      expect(first.contact.name).toBe('From WhatsApp');
      await store.contacts.recordInbound(
        org,
        { phone: '+14155550113', userId: null },
        {
          name: 'Renamed On Phone',
          at: at('2026-03-01T11:00:00Z'),
        },
      );
      expect((await store.contacts.get(org, doc._id))?.name).toBe('From WhatsApp');
      const updated = await events(org, 'contact.updated');
      expect(updated).toHaveLength(1);
      expect(updated[0]!.data).toMatchObject({ name: 'From WhatsApp', changes: ['name'] });
    });

    it('refuses an invalid number', async () => {
      await expect(
        store.contacts.recordInbound(
          await newOrg(),
          { phone: 'abc', userId: null },
          { at: new Date() },
        ),
      ).rejects.toThrow(ValidationError);
    });
  });

  describe('user ids', () => {
    const userId = (n: number) => `US.1349120865530274${String(n).padStart(4, '0')}`;

    it('keeps a phone number and a user id each unique, and many contacts without either', async () => {
      const org = await newOrg();
      const a = await store.contacts.create(org, { user_id: userId(1), username: 'ana' });
      expect(a).toMatchObject({ phone_number: null, user_id: userId(1), username: 'ana' });
      await store.contacts.create(org, { user_id: userId(2) });
      await store.contacts.create(org, { phone_number: '+14155550120' });
      await store.contacts.create(org, { phone_number: '+14155550121' });
      await expect(store.contacts.create(org, { user_id: userId(1) })).rejects.toThrow(
        ConflictError,
      );
      await expect(
        store.contacts.create(org, { phone_number: '+14155550120', user_id: userId(3) }),
      ).rejects.toThrow(ConflictError);
      await expect(store.contacts.create(org, { name: 'Nobody' })).rejects.toThrow(ValidationError);
      const b = await store.contacts.findByPhone(org, '+14155550121');
      await expect(store.contacts.update(org, b!._id, { user_id: userId(1) })).rejects.toThrow(
        ConflictError,
      );
      // Another organization may have the same ids.
      await store.contacts.create(await newOrg(), { user_id: userId(1) });
      expect(await contactCount(org)).toBe(4);
      expect((await store.contacts.findByUserId(org, userId(1)))?._id).toBe(a._id);
      const listed = await store.contacts.list(org, { page: 1, limit: 10, user_id: userId(2) });
      expect(listed.contacts.map((c) => c.user_id)).toEqual([userId(2)]);
      const searched = await store.contacts.list(org, { page: 1, limit: 10, search: 'AN' });
      expect(searched.contacts.map((c) => c._id)).toEqual([a._id]);
    });

    it('records inbound messages by user id: one contact for a race, a number joins it later', async () => {
      const org = await newOrg();
      const calls = await Promise.all(
        Array.from({ length: 5 }, (_, i) =>
          store.contacts.recordInbound(
            org,
            { phone: null, userId: userId(10), username: 'bo' },
            { name: 'Bo', at: new Date(Date.parse('2026-04-01T10:00:00Z') + i * 1000) },
          ),
        ),
      );
      expect(calls.filter((c) => c.created)).toHaveLength(1);
      const id = calls[0]!.contact._id;
      const joined = await store.contacts.recordInbound(
        org,
        { phone: '+14155550122', userId: userId(10), parentUserId: 'US.ENT.77' },
        { at: at('2026-04-01T11:00:00Z') },
      );
      expect(joined.created).toBe(false);
      expect(joined.contact).toMatchObject({
        _id: id,
        phone_number: '+14155550122',
        user_id: userId(10),
        parent_user_id: 'US.ENT.77',
        username: 'bo',
        last_inbound_at: at('2026-04-01T11:00:00Z'),
      });
      // Known by number, Meta now gives the user id too: the contact takes it.
      const byPhone = await store.contacts.create(org, { phone_number: '+14155550123' });
      const filled = await store.contacts.recordInbound(
        org,
        { phone: '+14155550123', userId: userId(11) },
        { at: at('2026-04-01T12:00:00Z') },
      );
      expect(filled.contact).toMatchObject({ _id: byPhone._id, user_id: userId(11) });
      expect(await contactCount(org)).toBe(2);
      const updated = await events(org, 'contact.updated');
      expect(updated.map((e) => e.data.user_id)).toContain(userId(11));
    });

    it('changes ids on the contact that had them, without touching the window', async () => {
      const org = await newOrg();
      const { contact } = await store.contacts.recordInbound(
        org,
        { phone: '+14155550124', userId: userId(20) },
        { at: at('2026-04-01T10:00:00Z') },
      );
      const renamed = await store.contacts.changeIds(
        org,
        { phone: null, userId: userId(20) },
        { phone: null, userId: userId(21) },
      );
      expect(renamed).toMatchObject({ created: false, contact: { _id: contact._id } });
      const moved = await store.contacts.changeIds(
        org,
        { phone: '+14155550124', userId: userId(21) },
        { phone: '+14155550125', userId: userId(22) },
      );
      expect(moved.contact).toMatchObject({
        _id: contact._id,
        phone_number: '+14155550125',
        user_id: userId(22),
        last_inbound_at: at('2026-04-01T10:00:00Z'),
      });
      expect(await contactCount(org)).toBe(1);
      // Nobody had the old ids: the contact with the new ones is made, once.
      const fresh = await store.contacts.changeIds(
        org,
        { phone: null, userId: userId(30) },
        { phone: null, userId: userId(31) },
      );
      expect(fresh.created).toBe(true);
      expect(fresh.contact.last_inbound_at).toBeNull();
    });
  });

  describe('transfers', () => {
    it('records a transfer with its transfer.created event', async () => {
      const org = await newOrg();
      const contact = await store.contacts.create(org, { phone_number: '+14155550120' });
      const doc = await store.transfers.create(org, {
        contactId: contact._id,
        toTeamId: 'support',
        notes: 'Refund',
      });
      expect((await store.transfers.get(org, doc._id))?.to_team_id).toBe('support');
      expect(await store.transfers.get(await newOrg(), doc._id)).toBeNull();
      await store.outbox.flush('transfers', doc._id);
      const recorded = await events(org, 'transfer.created');
      expect(recorded.map((e) => e.data)).toEqual([
        {
          id: doc._id,
          contact_id: contact._id,
          from_agent_id: null,
          to_agent_id: null,
          to_team_id: 'support',
          notes: 'Refund',
        },
      ]);
    });

    it('records a transfer given its own id once, with one event', async () => {
      const org = await newOrg();
      const contact = await store.contacts.create(org, { phone_number: '+14155550121' });
      const input = { id: `transfer-${org}`, contactId: contact._id, toAgentId: 'agent-1' };
      const first = await store.transfers.create(org, input);
      const again = await store.transfers.create(org, { ...input, toAgentId: 'agent-2' });
      expect(first._id).toBe(input.id);
      expect(again).toEqual(first);
      await store.outbox.flush('transfers', first._id);
      expect(await events(org, 'transfer.created')).toHaveLength(1);
      // The id belongs to the organization that recorded it.
      await expect(store.transfers.create(await newOrg(), input)).rejects.toThrow(ConflictError);
    });
  });
});

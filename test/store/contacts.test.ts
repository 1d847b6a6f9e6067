import { ConflictError, ValidationError } from '../../lib/errors';
import { createStore, type Store } from '../../store';
import type { EventDoc } from '../../store/documents';
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

const newOrg = async () => (await store.organizations.create('Acme'))._id;
const events = (orgId: string, type?: string) =>
  mongo.db
    .collection<EventDoc>('events')
    .find({ org_id: orgId, ...(type ? { type } : {}) })
    .toArray();
const at = (iso: string) => new Date(iso);

describe('contacts', () => {
  it('normalises the phone number and refuses it twice, however it is written', async () => {
    const org = await newOrg();
    const doc = await store.contacts.create(org, { phone_number: '+91 98765-43210', name: 'Ana' });
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

  it('delivers events a crash left in the outbox exactly once', async () => {
    const org = await newOrg();
    // Written without flushing, as if the process died right after the write.
    const doc = await store.contacts.create(org, { phone_number: '+14155550105' });
    expect(await events(org)).toHaveLength(0);

    expect(await store.outbox.sweep()).toBeGreaterThanOrEqual(1);
    await store.outbox.sweep();
    await store.outbox.flush('contacts', doc._id);
    const recorded = await events(org);
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({
      type: 'contact.created',
      data: { id: doc._id, phone_number: '+14155550105', source: 'api' },
    });
    expect((await store.contacts.get(org, doc._id))?.outbox_pending).toBe(false);
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
    const { contact, created } = await store.contacts.recordInbound(org, '14155550110', {
      name: 'Wa Name',
      at: when,
    });
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
        store.contacts.recordInbound(org, '+14155550111', {
          name: 'Racer',
          at: new Date(Date.parse('2026-03-01T10:00:00Z') + i * 1000),
        }),
      ),
    );
    expect(calls.filter((c) => c.created)).toHaveLength(1);
    expect(new Set(calls.map((c) => c.contact._id)).size).toBe(1);
    expect(await mongo.db.collection('contacts').countDocuments({ org_id: org })).toBe(1);
    expect((await events(org)).map((e) => e.type)).toEqual(['contact.created']);
    const stored = await store.contacts.findByPhone(org, '+14155550111');
    expect(stored).toMatchObject({ name: 'Racer', source: 'whatsapp_webhook' });
  });

  it('moves the window clock forward only, and records no event for it', async () => {
    const org = await newOrg();
    const phone = '+14155550112';
    await store.contacts.recordInbound(org, phone, { name: 'A', at: at('2026-03-01T12:00:00Z') });
    const late = await store.contacts.recordInbound(org, phone, {
      name: 'A',
      at: at('2026-03-01T09:00:00Z'),
    });
    expect(late.created).toBe(false);
    expect(late.contact.last_inbound_at).toEqual(at('2026-03-01T12:00:00Z'));
    const next = await store.contacts.recordInbound(org, phone, {
      at: at('2026-03-02T08:00:00Z'),
    });
    expect(next.contact.last_inbound_at).toEqual(at('2026-03-02T08:00:00Z'));
    expect((await events(org)).map((e) => e.type)).toEqual(['contact.created']);
  });

  it('fills a missing name once (contact.updated) and never overwrites one', async () => {
    const org = await newOrg();
    const doc = await store.contacts.create(org, { phone_number: '+14155550113' });
    await store.outbox.flush('contacts', doc._id);
    const first = await store.contacts.recordInbound(org, '+14155550113', {
      name: 'From WhatsApp',
      at: at('2026-03-01T10:00:00Z'),
    });
    expect(first.contact.name).toBe('From WhatsApp');
    await store.contacts.recordInbound(org, '+14155550113', {
      name: 'Renamed On Phone',
      at: at('2026-03-01T11:00:00Z'),
    });
    expect((await store.contacts.get(org, doc._id))?.name).toBe('From WhatsApp');
    const updated = await events(org, 'contact.updated');
    expect(updated).toHaveLength(1);
    expect(updated[0]!.data).toMatchObject({ name: 'From WhatsApp', changes: ['name'] });
  });

  it('refuses an invalid number', async () => {
    await expect(
      store.contacts.recordInbound(await newOrg(), 'abc', { at: new Date() }),
    ).rejects.toThrow(ValidationError);
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
});

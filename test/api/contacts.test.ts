import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import type { z } from 'zod';
import type { ContactView } from '../../api/schemas/contacts';
import { provisionOrganization, type Provisioned } from '../../scripts/provision';
import { createTestApp, type TestApp } from '../support/app';
import { openRawStore, type RawStore } from '../support/raw-store';

type Contact = z.infer<typeof ContactView>;
type Caller = (o: InjectOptions) => Promise<LightMyRequestResponse>;

let t: TestApp;
let raw: RawStore;
beforeAll(async () => {
  t = await createTestApp({
    env: { RATE_LIMIT_PER_MINUTE: '100000', RATE_LIMIT_PER_SECOND: '100000' },
  });
  raw = openRawStore(t.app.config);
});
afterAll(async () => {
  await raw?.close();
  await t?.close();
});

const HOUR = 3_600_000;
let seq = 0;
/** A phone number no other test uses. */
const phone = () => `+1415555${String(1000 + seq++).padStart(4, '0')}`;

const as =
  (org: Provisioned): Caller =>
  (o) =>
    t.app.inject({ ...o, headers: { 'x-api-key': org.api_key.key } });

const create = async (
  body: Record<string, unknown>,
  call: Caller = (o) => t.call(o),
): Promise<Contact> => {
  const res = await call({ method: 'POST', url: '/api/contacts', payload: body });
  expect(res.statusCode).toBe(201);
  const contact: Contact = res.json().data;
  return contact;
};

/** The organization's events of a type (about one contact), oldest first. */
const eventsOf = async (orgId: string, type: string, contactId?: string) =>
  (await t.app.store.events.list(orgId, { type }, 10_000))
    .filter((e) => !contactId || e.data.id === contactId)
    .reverse();

describe('contacts CRUD', () => {
  it('creates, reads, updates and deletes a contact', async () => {
    const created = await create({
      phone_number: '+91 98765-43210',
      name: 'John Doe',
      email: 'john@example.com',
      tags: [' customer ', 'vip', 'customer'],
      stage: 'Customer',
      custom_fields: { plan: 'pro', seats: 3, trial: false, referrer: null },
    });
    expect(created).toMatchObject({
      phone_number: '+919876543210',
      name: 'John Doe',
      tags: ['customer', 'vip'],
      stage: 'Customer',
      custom_fields: { plan: 'pro', seats: 3, trial: false, referrer: null },
      opted_in: false,
      source: 'api',
      last_inbound_at: null,
      window_open: false,
      window_expires_at: null,
    });

    const got = await t.call({ method: 'GET', url: `/api/contacts/${created.id}` });
    expect(got.statusCode).toBe(200);
    expect(got.json()).toEqual({ data: created, status: 'success' });

    const put = await t.call({
      method: 'PUT',
      url: `/api/contacts/${created.id}`,
      payload: { name: 'John D.', opted_in: true, email: null },
    });
    expect(put.statusCode).toBe(200);
    expect(put.json().data).toMatchObject({
      name: 'John D.',
      opted_in: true,
      email: null,
      tags: ['customer', 'vip'],
    });

    const del = await t.call({ method: 'DELETE', url: `/api/contacts/${created.id}` });
    expect(del.json()).toEqual({ data: { id: created.id, deleted: true }, status: 'success' });
    const gone = await t.call({ method: 'GET', url: `/api/contacts/${created.id}` });
    expect(gone.statusCode).toBe(404);
    expect(gone.json()).toEqual({
      message: `Contact '${created.id}' not found`,
      status: 'error',
      code: 'not_found',
    });
  });

  it('refuses a phone number the organization already has, however it is written', async () => {
    await create({ phone_number: '+44 20 7946 0958' });
    for (const written of ['+442079460958', '0044 (20) 7946-0958', '442079460958']) {
      const res = await t.call({
        method: 'POST',
        url: '/api/contacts',
        payload: { phone_number: written, default_country: 'GB' },
      });
      expect(res.statusCode).toBe(409);
      expect(res.json()).toEqual({
        message: "A contact with phone_number '+442079460958' already exists",
        status: 'error',
        code: 'conflict',
      });
    }
    const other = await create({ phone_number: phone() });
    const taken = await t.call({
      method: 'PUT',
      url: `/api/contacts/${other.id}`,
      payload: { phone_number: '+442079460958' },
    });
    expect(taken.statusCode).toBe(409);
  });

  it('refuses an invalid phone number, naming the field', async () => {
    for (const bad of ['12345', 'call me', '+0123456789']) {
      const res = await t.call({
        method: 'POST',
        url: '/api/contacts',
        payload: { phone_number: bad },
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().message).toBe(
        'Invalid phone number: phone_number must be E.164, like +919876543210',
      );
    }
  });

  it('names invalid fields', async () => {
    const res = await t.call({
      method: 'POST',
      url: '/api/contacts',
      payload: { phone_number: phone(), email: 'nope', custom_fields: { nested: { a: 1 } } },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toContain('body.email');
    expect(res.json().message).toContain('body.custom_fields.nested');
    const missing = await t.call({ method: 'POST', url: '/api/contacts', payload: { name: 'x' } });
    expect(missing.json().message).toContain('phone_number or user_id');
  });

  it('computes the 24 h window from the last inbound message', async () => {
    const recent = await t.app.store.contacts.recordInbound(
      t.org.organization.id,
      { phone: phone(), userId: null },
      {
        at: new Date(Date.now() - HOUR),
      },
    );
    const res = await t.call({ method: 'GET', url: `/api/contacts/${recent.contact._id}` });
    const lastInbound = recent.contact.last_inbound_at!;
    expect(res.json().data).toMatchObject({
      source: 'whatsapp_webhook',
      opted_in: true,
      last_inbound_at: lastInbound.toISOString(),
      window_open: true,
      window_expires_at: new Date(lastInbound.getTime() + 24 * HOUR).toISOString(),
    });

    const stale = await t.app.store.contacts.recordInbound(
      t.org.organization.id,
      { phone: phone(), userId: null },
      {
        at: new Date(Date.now() - 25 * HOUR),
      },
    );
    const old = await t.call({ method: 'GET', url: `/api/contacts/${stale.contact._id}` });
    expect(old.json().data.window_open).toBe(false);
    expect(Date.parse(old.json().data.window_expires_at)).toBeLessThan(Date.now());
  });
});

describe('contact events', () => {
  it('records one contact.created per contact', async () => {
    const c = await create({ phone_number: phone(), name: 'Ev', tags: ['a'] });
    const events = await eventsOf(t.org.organization.id, 'contact.created', c.id);
    expect(events).toHaveLength(1);
    expect(events[0]!.data).toEqual({
      id: c.id,
      phone_number: c.phone_number,
      user_id: null,
      parent_user_id: null,
      username: null,
      name: 'Ev',
      email: null,
      tags: ['a'],
      stage: null,
      custom_fields: {},
      opted_in: false,
      source: 'api',
    });
  });

  it('records one contact.updated per change, with the changed fields, none for a no-op', async () => {
    const c = await create({ phone_number: phone(), name: 'Up', tags: ['a', 'b'] });
    const put = (payload: Record<string, unknown>) =>
      t.call({ method: 'PUT', url: `/api/contacts/${c.id}`, payload });

    expect((await put({ name: 'Up', tags: ['b', 'a'] })).statusCode).toBe(200);
    expect(await eventsOf(t.org.organization.id, 'contact.updated', c.id)).toHaveLength(0);

    expect((await put({ name: 'Up', stage: 'Lead', custom_fields: { x: 1 } })).statusCode).toBe(
      200,
    );
    const events = await eventsOf(t.org.organization.id, 'contact.updated', c.id);
    expect(events).toHaveLength(1);
    expect(events[0]!.data).toMatchObject({ id: c.id, name: 'Up', stage: 'Lead' });
    expect((events[0]!.data.changes as string[]).sort()).toEqual(['custom_fields', 'stage']);
  });
});

describe('phone numbers without a country code', () => {
  let org: Provisioned;
  let call: Caller;
  beforeAll(async () => {
    org = await provisionOrganization(t.app.store, { name: 'Mumbai' });
    call = as(org);
  });
  const setCountry = (default_country: string | null) =>
    call({ method: 'PATCH', url: '/api/organization', payload: { default_country } });
  const post = (payload: Record<string, unknown>) =>
    call({ method: 'POST', url: '/api/contacts', payload });

  it('are refused, naming the field, when the organization has no default country', async () => {
    const res = await post({ phone_number: '9876543210' });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toBe(
      'Invalid phone number: phone_number must be E.164, like +919876543210',
    );
    expect(await raw.count('contacts', { org_id: org.organization.id })).toBe(0);
  });

  it("are read in the request's default country, else the organization's", async () => {
    const set = await setCountry('in');
    expect(set.statusCode).toBe(200);
    expect(set.json().data).toMatchObject({ id: org.organization.id, default_country: 'IN' });
    const got = await call({ method: 'GET', url: '/api/organization' });
    expect(got.json().data).toEqual(set.json().data);

    expect((await create({ phone_number: '9876543210' }, call)).phone_number).toBe('+919876543210');
    const london = await create({ phone_number: '020 7946 0958', default_country: 'GB' }, call);
    expect(london.phone_number).toBe('+442079460958');
    // With + or 00 the number is international, whatever the default country.
    expect((await create({ phone_number: '+1 415 555 0177' }, call)).phone_number).toBe(
      '+14155550177',
    );
    const put = await call({
      method: 'PUT',
      url: `/api/contacts/${london.id}`,
      payload: { phone_number: '98765 43211' },
    });
    expect(put.json().data.phone_number).toBe('+919876543211');

    const bulk = await call({
      method: 'POST',
      url: '/api/contacts/bulk',
      payload: {
        contacts: [
          { phone_number: '98765 43212' },
          { phone_number: '07400 900321', default_country: 'GB' },
          { phone_number: '9876543210', name: 'Known' },
        ],
      },
    });
    expect(bulk.json().data).toMatchObject({ created: 2, updated: 1, errors: 0 });
    const singapore = await call({
      method: 'POST',
      url: '/api/contacts/bulk',
      payload: { default_country: 'SG', contacts: [{ phone_number: '9123 4567' }] },
    });
    expect(singapore.json().data).toMatchObject({ created: 1, errors: 0 });
    for (const phone of ['+919876543212', '+447400900321', '+6591234567']) {
      expect(await t.app.store.contacts.findByPhone(org.organization.id, phone)).not.toBeNull();
    }
  });

  it('are refused when not valid for their country, naming the field', async () => {
    const iranian = await post({ phone_number: '+9876543210' });
    expect(iranian.statusCode).toBe(400);
    expect(iranian.json().message).toBe(
      'Invalid phone number: phone_number +9876543210 is not a valid number for IR',
    );
    const short = await post({ phone_number: '98765 4321' });
    expect(short.json().message).toBe(
      'Invalid phone number: phone_number +91987654321 is not a valid number for IN',
    );
    const bulk = await call({
      method: 'POST',
      url: '/api/contacts/bulk',
      payload: { contacts: [{ phone_number: '+1 555 010 0199' }] },
    });
    expect(bulk.json().data.results).toEqual([
      {
        index: 0,
        status: 'error',
        error: 'Invalid phone number: phone_number +15550100199 is not a valid number for +1',
      },
    ]);
  });

  it('refuses a country that is not an ISO 3166-1 alpha-2 code, naming the field', async () => {
    const patch = await setCountry('India');
    expect(patch.statusCode).toBe(400);
    expect(patch.json().message).toContain('body.default_country');
    const res = await post({ phone_number: '9876543213', default_country: 'XX' });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toContain('body.default_country');
    expect((await setCountry(null)).json().data.default_country).toBeNull();
    expect((await post({ phone_number: '9876543213' })).statusCode).toBe(400);
  });
});

describe('contact list', () => {
  let org: Provisioned;
  let call: Caller;
  const ids: string[] = [];
  beforeAll(async () => {
    org = await provisionOrganization(t.app.store, { name: 'Listing' });
    call = as(org);
    const rows = [
      { phone_number: '+919876500001', name: 'Asha Rao', tags: ['vip'], stage: 'Lead' },
      { phone_number: '+919876500002', name: 'Ravi (admin)', tags: ['vip', 'b2b'] },
      { phone_number: '+14155500003', name: 'Maria', stage: 'Lead' },
      { phone_number: '+14155500004', name: 'a.c', stage: 'Customer' },
      { phone_number: '+14155500005', name: 'abc' },
    ];
    for (const row of rows) {
      ids.push((await create(row, call)).id);
      await new Promise((r) => setTimeout(r, 5));
    }
  });
  const list = async (query: string) => {
    const res = await call({ method: 'GET', url: `/api/contacts${query}` });
    expect(res.statusCode).toBe(200);
    const data: { contacts: Contact[]; total: number; page: number } = res.json().data;
    return { ...data, ids: data.contacts.map((c) => c.id) };
  };

  it('pages newest first, counting every match', async () => {
    const first = await list('');
    expect(Object.keys(first).sort()).toEqual(['contacts', 'ids', 'page', 'total']);
    expect(first).toMatchObject({ total: 5, page: 1 });
    expect(first.ids).toEqual([...ids].reverse());

    const second = await list('?page=2&limit=2');
    expect(second).toMatchObject({ total: 5, page: 2 });
    expect(second.ids).toEqual([ids[2], ids[1]]);
    expect((await list('?page=4&limit=2')).ids).toEqual([]);
  });

  it('searches names (any case) and phone numbers with or without +', async () => {
    expect((await list('?search=ASHA')).ids).toEqual([ids[0]]);
    expect((await list('?search=%2B9198765')).total).toBe(2);
    expect((await list('?search=9198765')).total).toBe(2);
    expect((await list('?search=4155500003')).ids).toEqual([ids[2]]);
  });

  it('takes the search literally, not as a regular expression', async () => {
    expect((await list('?search=a.c')).ids).toEqual([ids[3]]);
    expect((await list('?search=(admin)')).ids).toEqual([ids[1]]);
    expect((await list('?search=.*')).total).toBe(0);
  });

  it('filters by tag and stage, alone and together with paging', async () => {
    expect((await list('?tag=vip')).ids).toEqual([ids[1], ids[0]]);
    expect((await list('?stage=Lead')).ids).toEqual([ids[2], ids[0]]);
    expect(await list('?tag=vip&stage=Lead&limit=1')).toMatchObject({ total: 1 });
    expect((await list('?tag=b2b&search=ravi')).ids).toEqual([ids[1]]);
  });

  it('refuses out-of-range paging, naming the parameter', async () => {
    for (const [query, field] of [
      ['?limit=101', 'querystring.limit'],
      ['?limit=0', 'querystring.limit'],
      ['?page=0', 'querystring.page'],
    ] as const) {
      const res = await call({ method: 'GET', url: `/api/contacts${query}` });
      expect(res.statusCode).toBe(400);
      expect(res.json().message).toContain(field);
    }
  });
});

describe('bulk upsert', () => {
  it('creates and updates 1,000 rows in one call, reporting each bad row on its own', async () => {
    const org = await provisionOrganization(t.app.store, { name: 'Bulk' });
    const call = as(org);
    const existing: string[] = [];
    for (let i = 0; i < 3; i++)
      existing.push((await create({ phone_number: `+1212555010${i}` }, call)).id);

    const rows: unknown[] = Array.from({ length: 1_000 }, (_, i) => ({
      phone_number: `+44 7400 9${String(i).padStart(5, '0')}`,
      name: `Row ${i}`,
      tags: ['import'],
    }));
    rows[10] = { phone_number: '+1 212 555 0100', stage: 'Customer' }; // update
    rows[11] = { phone_number: '(212) 555-0101', default_country: 'US', name: null }; // no change
    rows[12] = { phone_number: '+12125550102', name: 'Known' }; // update
    rows[500] = { phone_number: 'not a number' };
    rows[501] = { phone_number: '+15551234567', email: 'broken' };
    rows[502] = 'just a string';
    rows[503] = { phone_number: '+447400900000', name: 'Row 0 again' }; // repeats row 0

    const res = await call({
      method: 'POST',
      url: '/api/contacts/bulk',
      payload: { contacts: rows },
    });
    expect(res.statusCode).toBe(200);
    const data = res.json().data;
    expect(data).toMatchObject({ created: 993, updated: 4, errors: 3 });
    expect(data.results).toHaveLength(1_000);
    expect(data.results.map((r: { index: number }) => r.index)).toEqual([...rows.keys()]);
    expect(data.results[0]).toEqual({ index: 0, status: 'created', id: expect.any(String) });
    expect(data.results[10]).toEqual({ index: 10, status: 'updated', id: existing[0] });
    expect(data.results[503]).toEqual({ index: 503, status: 'updated', id: data.results[0].id });
    expect(data.results[500]).toEqual({
      index: 500,
      status: 'error',
      error: 'Invalid phone number: phone_number must be E.164, like +919876543210',
    });
    expect(data.results[501].error).toMatch(/^email: /);
    expect(data.results[502]).toMatchObject({ status: 'error', error: expect.any(String) });

    const orgId = org.organization.id;
    const count = async (type: string) => (await eventsOf(orgId, type)).length;
    expect(await count('contact.created')).toBe(3 + 993);
    // Rows 10, 12 and 503 change something; row 11 changes nothing.
    expect(await count('contact.updated')).toBe(3);
    const row0 = await call({ method: 'GET', url: `/api/contacts/${data.results[0].id}` });
    expect(row0.json().data).toMatchObject({
      name: 'Row 0 again',
      source: 'bulk',
      tags: ['import'],
    });
    const known = await call({ method: 'GET', url: `/api/contacts/${existing[0]}` });
    expect(known.json().data).toMatchObject({ stage: 'Customer', source: 'api' });
  }, 180_000); // FerretDB writes one document at a time: seconds there, far less elsewhere.

  it('refuses more than 1,000 rows', async () => {
    const rows = Array.from({ length: 1_001 }, (_, i) => ({ phone_number: `+4477009${i}` }));
    const res = await t.call({
      method: 'POST',
      url: '/api/contacts/bulk',
      payload: { contacts: rows },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toContain('body.contacts');
    expect(await raw.count('contacts', { phone_number: '+44770090' })).toBe(0);
  });
});

describe('transfers', () => {
  it('needs an agent or a team', async () => {
    const c = await create({ phone_number: phone() });
    for (const payload of [{}, { notes: 'x' }, { to_agent_id: null, to_team_id: null }]) {
      const res = await t.call({ method: 'POST', url: `/api/contacts/${c.id}/transfer`, payload });
      expect(res.statusCode).toBe(400);
      expect(res.json().message).toContain('to_agent_id or to_team_id is required');
    }
    expect(await eventsOf(t.org.organization.id, 'transfer.created')).toHaveLength(0);
  });

  it('records the transfer and one transfer.created event', async () => {
    const c = await create({ phone_number: phone() });
    const res = await t.call({
      method: 'POST',
      url: `/api/contacts/${c.id}/transfer`,
      payload: { to_team_id: 'billing', notes: 'Customer asking about refund' },
    });
    expect(res.statusCode).toBe(201);
    const transfer = res.json().data;
    expect(transfer).toMatchObject({
      contact_id: c.id,
      from_agent_id: null,
      to_agent_id: null,
      to_team_id: 'billing',
      notes: 'Customer asking about refund',
    });
    const events = (await eventsOf(t.org.organization.id, 'transfer.created')).filter(
      (e) => e.data.contact_id === c.id,
    );
    expect(events.map((e) => e.data)).toEqual([
      {
        id: transfer.id,
        contact_id: c.id,
        from_agent_id: null,
        to_agent_id: null,
        to_team_id: 'billing',
        notes: 'Customer asking about refund',
      },
    ]);
  });

  it('answers 404 for an unknown contact', async () => {
    const res = await t.call({
      method: 'POST',
      url: '/api/contacts/7df20df5-0202-4173-90df-730901e4087e/transfer',
      payload: { to_agent_id: 'a1' },
    });
    expect(res.statusCode).toBe(404);
  });
});

describe('organizations', () => {
  it("never shows or changes another organization's contacts", async () => {
    const c = await create({ phone_number: phone(), name: 'Mine' });
    const other = as(await provisionOrganization(t.app.store, { name: 'Globex' }));
    const url = `/api/contacts/${c.id}`;
    for (const res of [
      await other({ method: 'GET', url }),
      await other({ method: 'PUT', url, payload: { name: 'Stolen' } }),
      await other({ method: 'DELETE', url }),
      await other({ method: 'POST', url: `${url}/transfer`, payload: { to_agent_id: 'x' } }),
    ]) {
      expect(res.statusCode).toBe(404);
    }
    expect((await other({ method: 'GET', url: '/api/contacts' })).json().data.total).toBe(0);
    const mine = await t.call({ method: 'GET', url });
    expect(mine.json().data.name).toBe('Mine');
    expect(await raw.count('transfers', { contact_id: c.id })).toBe(0);
  });

  it('documents the routes in OpenAPI', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/contacts',
        '/api/contacts/{id}',
        '/api/contacts/bulk',
        '/api/contacts/{id}/transfer',
      ]),
    );
    // A phone number, a user id or both: neither is required alone.
    const schema = doc.paths['/api/contacts'].post.requestBody.content['application/json'].schema;
    expect(schema.required).toBeUndefined();
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['phone_number', 'user_id']),
    );
  });
});

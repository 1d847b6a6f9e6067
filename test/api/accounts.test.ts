import { setTimeout as sleep } from 'node:timers/promises';
import { decryptSecret } from '../../lib/crypto';
import { provisionOrganization } from '../../scripts/provision';
import { sandboxDisplayNumber } from '../../lib/sandbox-ids';
import { createMetaSimulator, type MetaSimulator } from '../../sim/meta';
import { sandboxAccountIds } from '../../store/sandbox-account';
import { createTestApp, type TestApp } from '../support/app';
import { openRawStore } from '../support/raw-store';
import { queuedMessage } from '../support/send-queue';

// Real accounts are checked at Meta before they are stored: the simulator stands in for it.
let sim: MetaSimulator;
let t: TestApp;
beforeAll(async () => {
  sim = await createMetaSimulator({ accessToken: 'sim-sandbox-token', appSecret: 'sim-secret' });
  t = await createTestApp({ env: { RATE_LIMIT_PER_SECOND: '1000', META_GRAPH_URL: sim.url } });
});
afterAll(async () => {
  await t.close();
  await sim.close();
});

/** Makes the number, at the simulator, readable with this token (and no other but the sandbox's). */
async function own(phoneNumberId: string, accessToken: string, displayPhoneNumber?: string) {
  const res = await fetch(`${sim.url}/_sim/phone-numbers`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ phoneNumberId, accessToken, displayPhoneNumber }),
  });
  expect(res.status).toBe(201);
}

let seq = 0;
const body = (over: Record<string, unknown> = {}) => {
  seq += 1;
  return {
    name: `Support line ${seq}`,
    phone_number_id: `30000000000${String(seq).padStart(4, '0')}`,
    waba_id: '400000000000001',
    access_token: `EAAG-secret-token-${seq}`,
    app_secret: `app-secret-${seq}`,
    webhook_verify_token: `verify-${seq}`,
    ...over,
  };
};
/** Posts the account as is: Meta knows the number only if the test made it so. */
const claim = (payload: Record<string, unknown>, key?: string) =>
  t.call({
    method: 'POST',
    url: '/api/accounts',
    payload,
    ...(key ? { headers: { 'x-api-key': key } } : {}),
  });
/** Posts the account of a number its token owns at Meta. */
const create = async (payload: Record<string, unknown>, key?: string) => {
  const { phone_number_id: number, access_token: token } = payload;
  if (typeof number === 'string' && typeof token === 'string') await own(number, token);
  return claim(payload, key);
};
const accountOf = (phoneNumberId: string) =>
  t.app.store.accounts.findByPhoneNumberId(phoneNumberId);
const put = (id: string, payload: Record<string, unknown>) =>
  t.call({ method: 'PUT', url: `/api/accounts/${id}`, payload });
const list = async (key?: string) => {
  const res = await t.call({
    method: 'GET',
    url: '/api/accounts',
    ...(key ? { headers: { 'x-api-key': key } } : {}),
  });
  expect(res.statusCode).toBe(200);
  return res.json().data.accounts as { id: string; is_default: boolean; sandbox: boolean }[];
};
const secretsOf = (b: ReturnType<typeof body>) => [
  b.access_token,
  b.app_secret,
  b.webhook_verify_token,
];

describe('the sandbox account', () => {
  it('is there out of the box, once, as the default, pointing at the simulator', async () => {
    const org = await provisionOrganization(t.app.store, { name: 'Fresh' });
    const key = org.api_key.key;
    const first = await list(key);
    const second = await list(key);
    expect(second).toEqual(first);
    expect(first).toHaveLength(1);
    const { phoneNumberId, wabaId } = sandboxAccountIds(org.organization.id);
    expect(phoneNumberId).toMatch(/^\d{15}$/);
    expect(first[0]).toMatchObject({
      name: 'Sandbox',
      sandbox: true,
      is_default: true,
      status: 'connected',
      phone_number_id: phoneNumberId,
      waba_id: wabaId,
      display_phone_number: `+${sandboxDisplayNumber(phoneNumberId)}`,
      throughput: 80,
      access_token_set: true,
    });
    const stored = await t.app.store.accounts.get(org.organization.id, first[0]!.id);
    expect(stored?.graph_url).toBe(t.app.config.meta.simulator.url);
    expect(JSON.stringify(first)).not.toContain(t.app.config.meta.simulator.accessToken);
  });

  it('is created by provisioning when given the sandbox settings, idempotently', async () => {
    const sandbox = {
      graphUrl: 'http://127.0.0.1:1',
      accessToken: 'SANDBOX-token',
      appSecret: 'sandbox-secret',
      verifyToken: 'sandbox-verify',
    };
    const org = await provisionOrganization(t.app.store, { name: 'Provisioned' }, sandbox);
    const id = org.organization.id;
    expect(org.sandbox_account).toEqual({
      id: expect.any(String),
      phone_number_id: sandboxAccountIds(id).phoneNumberId,
    });
    const again = await t.app.store.accounts.ensureSandbox(id, sandbox);
    expect(again?._id).toBe(org.sandbox_account!.id);
    expect(await list(org.api_key.key)).toHaveLength(1);
  });

  it('keeps its Meta ids and credentials, and cannot be deleted', async () => {
    const [sandbox] = await list();
    const put = await t.call({
      method: 'PUT',
      url: `/api/accounts/${sandbox!.id}`,
      payload: { access_token: 'EAAG-mine' },
    });
    expect(put.statusCode).toBe(400);
    expect(put.json().message).toBe(
      "The sandbox account's access_token cannot be changed: connect your own number instead",
    );
    const renamed = await t.call({
      method: 'PUT',
      url: `/api/accounts/${sandbox!.id}`,
      payload: { name: 'Test number', throughput: 20 },
    });
    expect(renamed.json().data).toMatchObject({ name: 'Test number', throughput: 20 });
    const del = await t.call({ method: 'DELETE', url: `/api/accounts/${sandbox!.id}` });
    expect(del.statusCode).toBe(400);
    expect(del.json().message).toBe('The sandbox account cannot be deleted');
  });
});

describe('WhatsApp accounts', () => {
  it('creates an account without ever answering its secrets, and stores them sealed', async () => {
    const input = body({ display_phone_number: '+91 98765 43210', throughput: 250 });
    const res = await create(input);
    expect(res.statusCode).toBe(201);
    const view = res.json().data;
    expect(view).toEqual({
      id: expect.any(String),
      name: input.name,
      phone_number_id: input.phone_number_id,
      waba_id: input.waba_id,
      display_phone_number: '+91 98765 43210',
      is_default: false,
      throughput: 250,
      marketing_messages: false,
      coexistence: false,
      status: 'connected',
      status_reason: null,
      sandbox: false,
      access_token_set: true,
      app_secret_set: true,
      webhook_verify_token_set: true,
      queue: { transactional: 0, bulk: 0 },
      send_rate: 0,
      messaging_limit: {
        tier: 'TIER_UNLIMITED',
        portfolio_id: null,
        users_per_day: null,
        reached_24h: null,
        frees_at: null,
      },
      quality_rating: 'GREEN',
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });

    const answers = [
      res.body,
      (await t.call({ method: 'GET', url: `/api/accounts/${view.id}` })).body,
      (await t.call({ method: 'GET', url: '/api/accounts' })).body,
    ];
    for (const answer of answers) {
      for (const secret of secretsOf(input)) expect(answer).not.toContain(secret);
    }

    const rawStore = openRawStore(t.app.config);
    const [raw] = await rawStore.find('accounts', { _id: view.id }).finally(() => rawStore.close());
    for (const secret of secretsOf(input)) expect(JSON.stringify(raw)).not.toContain(secret);
    expect(decryptSecret(String(raw!.access_token_enc), t.app.config.encryptionKey)).toBe(
      input.access_token,
    );
    expect(raw!.graph_url).toBe(t.app.config.meta.graphUrl);
  });

  it('defaults the throughput to 80 and refuses one outside 1..1000', async () => {
    const created = await create(body());
    expect(created.json().data.throughput).toBe(80);
    const tooFast = await create(body({ throughput: 1001 }));
    expect(tooFast.statusCode).toBe(400);
    expect(tooFast.json().message).toMatch(/^Invalid request: body\.throughput: /);
  });

  it('caps a coexistence number at 20 messages a second, and gives it 20 by default', async () => {
    const shared = await create(body({ coexistence: true }));
    expect(shared.statusCode).toBe(201);
    expect(shared.json().data).toMatchObject({ coexistence: true, throughput: 20 });
    const tooFast = await create(body({ coexistence: true, throughput: 21 }));
    expect(tooFast.statusCode).toBe(400);
    expect(tooFast.json().message).toMatch(/throughput: .*coexistence.* at most 20/);

    const id = shared.json().data.id as string;
    expect((await put(id, { throughput: 50 })).statusCode).toBe(400);
    expect((await put(id, { throughput: 10 })).json().data.throughput).toBe(10);

    const plain = await create(body({ throughput: 200 }));
    const switched = await put(plain.json().data.id as string, { coexistence: true });
    expect(switched.statusCode).toBe(200);
    expect(switched.json().data).toMatchObject({ coexistence: true, throughput: 20 });
  });

  it('sets and shows the Marketing Messages API setting, off by default', async () => {
    const created = await create(body());
    expect(created.json().data.marketing_messages).toBe(false);
    const id = created.json().data.id as string;
    const on = await put(id, { marketing_messages: true });
    expect(on.statusCode).toBe(200);
    expect(on.json().data.marketing_messages).toBe(true);
    expect(
      (await accountOf(created.json().data.phone_number_id as string))?.marketing_messages,
    ).toBe(true);
    const onAtCreate = await create(body({ marketing_messages: true }));
    expect(onAtCreate.json().data.marketing_messages).toBe(true);
  });

  it('names a missing field', async () => {
    const rest: Record<string, unknown> = body();
    delete rest.access_token;
    const res = await create(rest);
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(/body\.access_token/);
  });

  it('answers 409 for a connected number only to its owner, telling nothing of the account', async () => {
    const display = '+91 90000 12345';
    const input = body({ name: 'Initech hotline', display_phone_number: display });
    const first = await create(input);
    expect(first.statusCode).toBe(201);
    const owner = first.json().data as { id: string };

    // Another organization of the number's real owner: its token reads the number at Meta.
    const second = await provisionOrganization(t.app.store, { name: 'Initech Labs' });
    const res = await claim(
      body({ phone_number_id: input.phone_number_id, access_token: input.access_token }),
      second.api_key.key,
    );
    expect(res.statusCode).toBe(409);
    expect(res.json()).toEqual({
      message: 'This phone number is already connected to a Waflow account',
      status: 'error',
      code: 'conflict',
    });
    for (const leak of [
      owner.id,
      t.org.organization.id,
      t.org.organization.name,
      input.name,
      display,
    ]) {
      expect(res.body).not.toContain(leak);
    }

    // Anyone else is refused before the store is asked, so the answer does not tell it is taken.
    const squatter = body();
    await own(`70000000000${String(seq).padStart(4, '0')}`, squatter.access_token);
    const squat = await claim(
      { ...squatter, phone_number_id: input.phone_number_id },
      second.api_key.key,
    );
    expect(squat.statusCode).toBe(400);
    expect(squat.json().message).toBe(
      `phone_number_id: this access token cannot read phone number ${input.phone_number_id} at Meta`,
    );

    const other = (await create(body())).json().data as { id: string };
    const moved = await put(other.id, {
      phone_number_id: input.phone_number_id,
      access_token: input.access_token,
    });
    expect(moved.statusCode).toBe(409);
    expect(moved.json().message).toBe('This phone number is already connected to a Waflow account');
    const unreadable = await put(other.id, { phone_number_id: input.phone_number_id });
    expect(unreadable.statusCode).toBe(400);
    expect((await accountOf(input.phone_number_id))?._id).toBe(owner.id);
  });

  it('refuses a number its token cannot read at Meta, and stores nothing', async () => {
    const victim = body();
    await own(victim.phone_number_id, victim.access_token);
    const attacker = body();
    await own(attacker.phone_number_id, attacker.access_token);

    const res = await claim({ ...attacker, phone_number_id: victim.phone_number_id });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      message: `phone_number_id: this access token cannot read phone number ${victim.phone_number_id} at Meta`,
      status: 'error',
      code: 'validation_failed',
    });
    expect(await accountOf(victim.phone_number_id)).toBeNull();

    // A number Meta has never heard of is refused the same way.
    const unknown = await claim({ ...attacker, phone_number_id: '39999999999999' });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().message).toMatch(/^phone_number_id: /);
    expect(await accountOf('39999999999999')).toBeNull();

    // The victim can still connect its number.
    expect((await claim(victim)).statusCode).toBe(201);
  });

  it('refuses a token Meta does not know, and stores nothing', async () => {
    const input = body();
    await own(input.phone_number_id, 'EAAG-the-real-token');
    const res = await claim(input);
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toBe(
      'access_token: Meta refused it (Invalid OAuth access token - Cannot parse access token)',
    );
    expect(await accountOf(input.phone_number_id)).toBeNull();
  });

  it('fills display_phone_number from Meta when none is given', async () => {
    const input = body();
    await own(input.phone_number_id, input.access_token, '+1 555 010 4242');
    const res = await claim(input);
    expect(res.statusCode).toBe(201);
    expect(res.json().data.display_phone_number).toBe('+15550104242');
    const read = sim.log.at(-1)!;
    expect(read).toMatchObject({ method: 'GET', status: 200 });
    expect(read.path).toBe(
      `/${t.app.config.meta.apiVersion}/${input.phone_number_id}?fields=id,display_phone_number,verified_name,whatsapp_business_manager_messaging_limit,quality_rating`,
    );
  });

  it('answers 503 when Meta cannot be reached, and stores nothing', async () => {
    const offline = await createTestApp({ env: { META_GRAPH_URL: 'http://127.0.0.1:1' } });
    try {
      const input = body();
      const res = await offline.call({ method: 'POST', url: '/api/accounts', payload: input });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toEqual({
        message: 'Meta could not be reached to verify the phone number; try again later',
        status: 'error',
        code: 'unavailable',
      });
      expect(
        await offline.app.store.accounts.findByPhoneNumberId(input.phone_number_id),
      ).toBeNull();
    } finally {
      await offline.close();
    }
  });

  it('verifies a new access token or number before storing it, keeping the old ones', async () => {
    const input = body();
    const { id } = (await create(input)).json().data as { id: string };
    const tokenOf = async () =>
      t.app.store.accounts.credentials((await t.app.store.accounts.get(t.org.organization.id, id))!)
        .accessToken;
    const stranger = body();
    await own(stranger.phone_number_id, stranger.access_token);

    const wrongToken = await put(id, { access_token: stranger.access_token });
    expect(wrongToken.statusCode).toBe(400);
    expect(wrongToken.json().message).toBe(
      `access_token: this access token cannot read phone number ${input.phone_number_id} at Meta`,
    );
    const unknownToken = await put(id, { access_token: 'EAAG-made-up' });
    expect(unknownToken.statusCode).toBe(400);
    expect(unknownToken.json().message).toMatch(/^access_token: Meta refused it \(/);
    expect(await tokenOf()).toBe(input.access_token);

    const wrongNumber = await put(id, { phone_number_id: stranger.phone_number_id });
    expect(wrongNumber.statusCode).toBe(400);
    expect(wrongNumber.json().message).toBe(
      `phone_number_id: this access token cannot read phone number ${stranger.phone_number_id} at Meta`,
    );
    expect((await accountOf(input.phone_number_id))?._id).toBe(id);

    // A number the current token reads: its display number comes from Meta.
    const next = `80000000000${String(seq).padStart(4, '0')}`;
    await own(next, input.access_token, '+44 7700 900123');
    const moved = await put(id, { phone_number_id: next });
    expect(moved.statusCode).toBe(200);
    expect(moved.json().data).toMatchObject({
      phone_number_id: next,
      display_phone_number: '+447700900123',
    });

    const renamed = await put(id, { name: 'No Meta call' });
    expect(renamed.statusCode).toBe(200);
  });

  it('changes only the given fields; a new access token reconnects the account', async () => {
    const input = body();
    const { id } = (await create(input)).json().data;
    await t.app.store.accounts.markDisconnected(id, 'Invalid OAuth access token');
    const disconnected = await t.call({ method: 'GET', url: `/api/accounts/${id}` });
    expect(disconnected.json().data).toMatchObject({
      status: 'disconnected',
      status_reason: 'Invalid OAuth access token',
    });

    const renamed = await t.call({
      method: 'PUT',
      url: `/api/accounts/${id}`,
      payload: { name: 'Sales' },
    });
    expect(renamed.statusCode).toBe(200);
    expect(renamed.json().data).toMatchObject({
      name: 'Sales',
      phone_number_id: input.phone_number_id,
      status: 'disconnected',
    });

    await own(input.phone_number_id, 'EAAG-fresh-token');
    const reconnected = await t.call({
      method: 'PUT',
      url: `/api/accounts/${id}`,
      payload: { access_token: 'EAAG-fresh-token' },
    });
    expect(reconnected.json().data).toMatchObject({
      name: 'Sales',
      status: 'connected',
      status_reason: null,
    });
    expect(reconnected.body).not.toContain('EAAG-fresh-token');
    const doc = await t.app.store.accounts.get(t.org.organization.id, id);
    expect(t.app.store.accounts.credentials(doc!).accessToken).toBe('EAAG-fresh-token');

    const empty = await t.call({ method: 'PUT', url: `/api/accounts/${id}`, payload: {} });
    expect(empty.statusCode).toBe(400);
    expect(empty.json().message).toBe('Invalid request: body: give at least one field to change');
  });

  it('keeps exactly one default per organization', async () => {
    const defaults = async () => (await list()).filter((a) => a.is_default).map((a) => a.id);
    const a = (await create(body({ is_default: true }))).json().data;
    expect(a.is_default).toBe(true);
    expect(await defaults()).toEqual([a.id]);

    const b = (await create(body())).json().data;
    const put = await t.call({
      method: 'PUT',
      url: `/api/accounts/${b.id}`,
      payload: { is_default: true },
    });
    expect(put.json().data.is_default).toBe(true);
    expect(await defaults()).toEqual([b.id]);

    const unset = await t.call({
      method: 'PUT',
      url: `/api/accounts/${b.id}`,
      payload: { is_default: false },
    });
    expect(unset.statusCode).toBe(400);
    expect(await defaults()).toEqual([b.id]);

    const del = await t.call({ method: 'DELETE', url: `/api/accounts/${b.id}` });
    expect(del.statusCode).toBe(200);
    expect(await defaults()).toHaveLength(1);
    expect((await t.call({ method: 'GET', url: `/api/accounts/${b.id}` })).statusCode).toBe(404);
  });

  it("makes a non-sandbox organization's first account its default", async () => {
    const plain = await createTestApp({ env: { SANDBOX_MODE: 'false', META_GRAPH_URL: sim.url } });
    try {
      const key = (await provisionOrganization(plain.app.store, { name: 'No sandbox' })).api_key
        .key;
      const call = async (payload: ReturnType<typeof body>) => {
        await own(payload.phone_number_id, payload.access_token);
        return plain.call({
          method: 'POST',
          url: '/api/accounts',
          payload,
          headers: { 'x-api-key': key },
        });
      };
      const listed = await plain.call({
        method: 'GET',
        url: '/api/accounts',
        headers: { 'x-api-key': key },
      });
      expect(listed.json().data.accounts).toEqual([]);
      expect((await call(body())).json().data.is_default).toBe(true);
      expect((await call(body())).json().data.is_default).toBe(false);
    } finally {
      await plain.close();
    }
  });

  it("hides another organization's accounts behind 404", async () => {
    const mine = (await create(body())).json().data;
    const other = await provisionOrganization(t.app.store, { name: 'Globex' });
    const headers = { 'x-api-key': other.api_key.key };
    for (const method of ['GET', 'DELETE'] as const) {
      const res = await t.app.inject({ method, url: `/api/accounts/${mine.id}`, headers });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual({
        message: `Account '${mine.id}' not found`,
        status: 'error',
        code: 'not_found',
      });
    }
    const put = await t.app.inject({
      method: 'PUT',
      url: `/api/accounts/${mine.id}`,
      headers,
      payload: { name: 'Hijacked' },
    });
    expect(put.statusCode).toBe(404);
    expect((await list(other.api_key.key)).map((a) => a.id)).not.toContain(mine.id);
    const still = await t.call({ method: 'GET', url: `/api/accounts/${mine.id}` });
    expect(still.json().data.name).toBe(mine.name);
  });
});

describe('what a number is sending', () => {
  const message = (orgId: string, accountId: string) => queuedMessage(orgId, accountId);
  type Activity = { id: string; queue: { transactional: number; bulk: number }; send_rate: number };
  const activityOf = (view: Activity) => ({ queue: view.queue, send_rate: view.send_rate });

  it("shows each number's queue by class and its send rate, in the account and the list", async () => {
    const orgId = t.org.organization.id;
    const busy = (await create(body())).json().data as Activity;
    const idle = (await create(body())).json().data as Activity;
    const { sendQueue, sendLanes } = t.app.store;
    await sendQueue.enqueue([message(orgId, busy.id), message(orgId, busy.id)], 'transactional');
    await sendQueue.enqueue([message(orgId, busy.id)], 'bulk');
    expect(await sendLanes.acquire(busy.id, 'dispatcher-1', 60_000)).toBe(true);
    await sendLanes.report(busy.id, 'dispatcher-1', 42);
    // An expired lease says nothing about now: its owner stopped reporting.
    expect(await sendLanes.acquire(idle.id, 'dispatcher-2', 1)).toBe(true);
    await sendLanes.report(idle.id, 'dispatcher-2', 99);
    await sleep(20);

    const busyNow = { queue: { transactional: 2, bulk: 1 }, send_rate: 42 };
    const idleNow = { queue: { transactional: 0, bulk: 0 }, send_rate: 0 };
    const one = await t.call({ method: 'GET', url: `/api/accounts/${busy.id}` });
    expect(one.statusCode).toBe(200);
    expect(activityOf(one.json().data)).toEqual(busyNow);
    const other = await t.call({ method: 'GET', url: `/api/accounts/${idle.id}` });
    expect(activityOf(other.json().data)).toEqual(idleNow);

    const listed = (await list()) as unknown as Activity[];
    expect(activityOf(listed.find((a) => a.id === busy.id)!)).toEqual(busyNow);
    expect(activityOf(listed.find((a) => a.id === idle.id)!)).toEqual(idleNow);

    const renamed = await put(busy.id, { name: 'Renamed while sending' });
    expect(activityOf(renamed.json().data)).toEqual(busyNow);
  });
});

describe('the OpenAPI document', () => {
  it('describes the account and template routes without any secret field in answers', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/accounts',
        '/api/accounts/{id}',
        '/api/templates',
        '/api/templates/sync',
      ]),
    );
    const answer = JSON.stringify(doc.paths['/api/accounts'].get.responses['200']);
    expect(answer).toContain('access_token_set');
    expect(answer).not.toContain('"access_token"');
  });
});

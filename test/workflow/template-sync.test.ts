import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { createMetaClient, type MetaTemplate } from '../../meta/client';
import { provisionOrganization } from '../../scripts/provision';
import { createWorker } from '../../worker/worker';
import { type TemplateSyncResult, templateSyncIds } from '../../workflows/contracts/template-sync';
import { createTestApp, type TestApp } from '../support/app';
import { startTemplateServer, type TemplateServer } from '../support/template-server';
import { testWorkflowBundle } from '../support/workflow-bundle';

let meta: TemplateServer;
let t: TestApp;
let nativeConnection: NativeConnection;
let connection: Connection;
let client: Client;
let worker: Worker;
let running: Promise<void>;
const metaClient = createMetaClient({ apiVersion: 'v25.0' });

beforeAll(async () => {
  meta = await startTemplateServer();
  t = await createTestApp({
    env: { META_GRAPH_URL: meta.url, META_SIMULATOR_URL: meta.url, RATE_LIMIT_PER_SECOND: '1000' },
  });
  const { address, namespace, taskQueue } = t.app.config.temporal;
  nativeConnection = await NativeConnection.connect({ address });
  connection = await Connection.connect({ address });
  client = new Client({ connection, namespace });
  worker = await createWorker({
    connection: nativeConnection,
    namespace,
    taskQueue,
    workflowBundlePath: testWorkflowBundle().codePath,
    activities: createActivities({
      config: t.app.config,
      store: t.app.store,
      signals: t.app.database.signals,
      meta: metaClient,
      webhooks: t.app.webhooks,
      sandbox: t.app.sandbox,
      automations: t.app.automations,
    }),
  });
  running = worker.run();
});

afterAll(async () => {
  worker.shutdown();
  await running;
  await nativeConnection.close();
  await connection.close();
  await t.close();
  await metaClient.close();
  await meta.close();
});

let seq = 0;
/** A real (non-sandbox) account, through the API; its Graph URL is the template server. */
async function newAccount(key = t.org.api_key.key) {
  seq += 1;
  const wabaId = `50000000000${String(seq).padStart(4, '0')}`;
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/accounts',
    headers: { 'x-api-key': key },
    payload: {
      name: `Number ${seq}`,
      phone_number_id: `60000000000${String(seq).padStart(4, '0')}`,
      waba_id: wabaId,
      access_token: `EAAG-${seq}`,
      app_secret: 'secret',
      webhook_verify_token: 'verify',
    },
  });
  expect(res.statusCode).toBe(201);
  return { id: res.json().data.id as string, wabaId };
}

const sync = (payload?: Record<string, unknown>, key = t.org.api_key.key) =>
  t.app.inject({
    method: 'POST',
    url: '/api/templates/sync',
    headers: { 'x-api-key': key },
    ...(payload ? { payload } : {}),
  });

const listTemplates = async (query: string) => {
  const res = await t.call({ method: 'GET', url: `/api/templates?${query}` });
  expect(res.statusCode).toBe(200);
  return res.json().data.templates as Record<string, unknown>[];
};

const tpl = (
  name: string,
  language: string,
  components: Record<string, unknown>[],
  status = 'APPROVED',
): MetaTemplate => ({
  id: `${name}-${language}`,
  name,
  language,
  status,
  category: status === 'APPROVED' ? 'UTILITY' : 'MARKETING',
  components,
});

const ORDER_SHIPPED = tpl('order_shipped', 'en', [
  { type: 'HEADER', format: 'IMAGE', example: { header_handle: ['https://shop.test/p.jpg'] } },
  { type: 'BODY', text: 'Hi {{1}}, your order {{2}} is on its way with {{3}}.' },
]);
const TRACK_ORDER = tpl('track_order', 'en', [
  { type: 'BODY', text: 'Your order {{1}} has shipped.' },
  {
    type: 'BUTTONS',
    buttons: [
      { type: 'URL', text: 'Track', url: 'https://shop.test/track/{{1}}' },
      { type: 'QUICK_REPLY', text: 'Stop' },
    ],
  },
]);
const WELCOME_EN = tpl('welcome', 'en_US', [
  { type: 'HEADER', format: 'TEXT', text: 'Hi {{name}}' },
  { type: 'BODY', text: '{{name}}, your code is {{code}}. Welcome, {{name}}!' },
]);
const WELCOME_ES = tpl('welcome', 'es', [{ type: 'BODY', text: 'Hola {{1}}' }]);
const PROMO = tpl(
  'promo',
  'en',
  [
    { type: 'BODY', text: 'Summer sale!' },
    { type: 'BUTTONS', buttons: [{ type: 'COPY_CODE', example: 'SUMMER10' }] },
  ],
  'PENDING',
);

describe('template sync', () => {
  it('follows the cursors over every page and stores each template with its counts', async () => {
    const { id, wabaId } = await newAccount();
    meta.set(wabaId, {
      templates: [ORDER_SHIPPED, TRACK_ORDER, WELCOME_EN, WELCOME_ES, PROMO],
      pageSize: 2,
    });

    const res = await sync({ account_id: id });
    expect(res.statusCode).toBe(200);
    expect(res.json().data).toEqual({
      synced: 5,
      removed: 0,
      accounts: [{ account_id: id, synced: 5, removed: 0, error: null }],
    });
    const pages = meta.requests.filter((r) => r.wabaId === wabaId);
    expect(pages.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(pages[0]!.after).toBeNull();

    const templates = await listTemplates(`account_id=${id}`);
    expect(templates).toHaveLength(5);
    const byId = Object.fromEntries(templates.map((x) => [x.id, x]));
    expect(byId[`${id}:order_shipped:en`]).toEqual({
      id: `${id}:order_shipped:en`,
      account_id: id,
      name: 'order_shipped',
      language: 'en',
      category: 'UTILITY',
      status: 'APPROVED',
      components: ORDER_SHIPPED.components,
      parameter_counts: { header: 1, body: 3, buttons: [] },
      header_format: 'IMAGE',
    });
    expect(byId[`${id}:track_order:en`]).toMatchObject({
      parameter_counts: { header: 0, body: 1, buttons: [1, 0] },
      header_format: null,
    });
    expect(byId[`${id}:welcome:en_US`]).toMatchObject({
      parameter_counts: { header: 1, body: 2, buttons: [] },
    });
    expect(byId[`${id}:promo:en`]).toMatchObject({
      status: 'PENDING',
      parameter_counts: { header: 0, body: 0, buttons: [1] },
    });

    expect((await listTemplates(`account_id=${id}&status=pending`)).map((x) => x.name)).toEqual([
      'promo',
    ]);
    expect(
      (await listTemplates(`account_id=${id}&name=welcome`)).map((x) => x.language).sort(),
    ).toEqual(['en_US', 'es']);

    const found = await t.app.store.templates.find(t.org.organization.id, id, 'welcome');
    expect(found?.language).toBe('en_US');
  });

  it('deletes the templates Meta no longer lists', async () => {
    const { id, wabaId } = await newAccount();
    meta.set(wabaId, { templates: [ORDER_SHIPPED, TRACK_ORDER, WELCOME_EN, PROMO], pageSize: 2 });
    expect((await sync({ account_id: id })).json().data.synced).toBe(4);

    const renamed = tpl('order_dispatched', 'en', [{ type: 'BODY', text: 'Sent {{1}}' }]);
    meta.set(wabaId, { templates: [WELCOME_EN, renamed, ORDER_SHIPPED] });
    const res = await sync({ account_id: id });
    expect(res.json().data).toMatchObject({ synced: 3, removed: 2 });
    expect((await listTemplates(`account_id=${id}`)).map((x) => x.name).sort()).toEqual([
      'order_dispatched',
      'order_shipped',
      'welcome',
    ]);
  });

  it('disconnects the account on a revoked token and answers 400 without retrying', async () => {
    const { id, wabaId } = await newAccount();
    meta.set(wabaId, { templates: [ORDER_SHIPPED] });
    await sync({ account_id: id });
    meta.set(wabaId, { tokenRevoked: true });

    const res = await sync({ account_id: id });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      message:
        "Account disconnected: Invalid OAuth access token. Update the account's access_token to reconnect it.",
      status: 'error',
      code: 'account_disconnected',
    });
    expect(meta.requests.filter((r) => r.wabaId === wabaId && r.status === 401)).toHaveLength(1);

    const account = await t.call({ method: 'GET', url: `/api/accounts/${id}` });
    expect(account.json().data).toMatchObject({
      status: 'disconnected',
      status_reason: 'Invalid OAuth access token',
    });
    // A failed sync removes nothing.
    expect(await listTemplates(`account_id=${id}`)).toHaveLength(1);

    meta.set(wabaId, { tokenRevoked: false });
    await t.call({
      method: 'PUT',
      url: `/api/accounts/${id}`,
      payload: { access_token: 'EAAG-renewed' },
    });
    expect((await sync({ account_id: id })).statusCode).toBe(200);
  });

  it('retries passing Meta errors', async () => {
    const { id, wabaId } = await newAccount();
    meta.set(wabaId, { templates: [ORDER_SHIPPED, TRACK_ORDER], failures: 1 });
    const res = await sync({ account_id: id });
    expect(res.statusCode).toBe(200);
    expect(res.json().data.synced).toBe(2);
    expect(meta.requests.filter((r) => r.wabaId === wabaId).map((r) => r.status)).toEqual([
      500, 200,
    ]);
  });

  it("syncs every connected account of the organization and reports each one's failure", async () => {
    const org = await provisionOrganization(t.app.store, { name: 'Many numbers' });
    const key = org.api_key.key;
    const healthy = await newAccount(key);
    const revoked = await newAccount(key);
    const alreadyOff = await newAccount(key);
    meta.set(healthy.wabaId, { templates: [ORDER_SHIPPED, WELCOME_EN, WELCOME_ES] });
    meta.set(revoked.wabaId, { tokenRevoked: true });
    await t.app.store.accounts.markDisconnected(alreadyOff.id, 'Invalid OAuth access token');

    const res = await sync(undefined, key);
    expect(res.statusCode).toBe(200);
    const data = res.json().data as TemplateSyncResult;
    const sandbox = (await t.app.store.accounts.list(org.organization.id)).find((a) => a.sandbox);
    expect(data.accounts).toHaveLength(3);
    expect(data.accounts).toEqual(
      expect.arrayContaining([
        { account_id: sandbox!._id, synced: 0, removed: 0, error: null },
        { account_id: healthy.id, synced: 3, removed: 0, error: null },
        {
          account_id: revoked.id,
          synced: 0,
          removed: 0,
          error: expect.stringMatching(/^Account disconnected: Invalid OAuth access token/),
        },
      ]),
    );
    expect(data).toMatchObject({ synced: 3, removed: 0 });
    expect(await t.app.store.accounts.get(org.organization.id, revoked.id)).toMatchObject({
      status: 'disconnected',
    });
    expect(meta.requests.some((r) => r.wabaId === alreadyOff.wabaId)).toBe(false);
  });

  it('joins a sync of the same account that is already running', async () => {
    const { id, wabaId } = await newAccount();
    meta.set(wabaId, { templates: [ORDER_SHIPPED, TRACK_ORDER], pageSize: 1, delayMs: 400 });
    const [a, b] = await Promise.all([sync({ account_id: id }), sync({ account_id: id })]);
    expect(a.statusCode).toBe(200);
    expect(b.json()).toEqual(a.json());
    expect(meta.requests.filter((r) => r.wabaId === wabaId)).toHaveLength(2);
  });

  it("answers 404 for an account of another organization and doesn't sync it", async () => {
    const { id, wabaId } = await newAccount();
    const other = await provisionOrganization(t.app.store, { name: 'Globex' });
    const res = await sync({ account_id: id }, other.api_key.key);
    expect(res.statusCode).toBe(404);
    expect(res.json().message).toBe(`Account '${id}' not found`);
    expect(meta.requests.some((r) => r.wabaId === wabaId)).toBe(false);
    expect((await listTemplates(`account_id=${id}`)).length).toBe(0);
  });

  it('syncs every connected account of every organization when run by the schedule', async () => {
    const other = await provisionOrganization(t.app.store, { name: 'Initech' });
    const theirs = await newAccount(other.api_key.key);
    const mine = await newAccount();
    meta.set(theirs.wabaId, { templates: [PROMO] });
    meta.set(mine.wabaId, { templates: [WELCOME_ES] });

    const result = await client.workflow.execute('templateSyncWorkflow', {
      taskQueue: t.app.config.temporal.taskQueue,
      workflowId: `${templateSyncIds.all()}-${t.app.config.temporal.taskQueue}`,
      args: [{}],
    });
    const ids = (result as TemplateSyncResult).accounts.map((a) => a.account_id);
    expect(ids).toEqual(expect.arrayContaining([theirs.id, mine.id]));
    const stored = await t.app.store.templates.find(other.organization.id, theirs.id, 'promo');
    expect(stored?.status).toBe('PENDING');
  });
});

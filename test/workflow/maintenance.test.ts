import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { Config } from '../../lib/config';
import { openStore, type Store, type StoreHandle } from '../../store';
import { ensureSchedules } from '../../worker/schedules';
import {
  cleanupWorkflowId,
  recoveryWorkflowId,
  scheduleIds,
} from '../../workflows/contracts/maintenance';
import { testConfig } from '../support/config';
import { openRawStore, type RawStore } from '../support/raw-store';
import { startTestWorker, type TestWorker } from '../support/worker';

let config: Config;
let database: StoreHandle;
let workerDatabase: StoreHandle;
let store: Store;
let raw: RawStore;
let worker: TestWorker;
let client: Client;

beforeAll(async () => {
  config = testConfig();
  [database, workerDatabase] = await Promise.all([openStore(config), openStore(config)]);
  store = database.store;
  raw = openRawStore(config);
  worker = await startTestWorker(config, workerDatabase);
  client = worker.client;
});
afterAll(async () => {
  await worker?.stop();
  await raw?.close();
  await workerDatabase?.close();
  await database?.close();
});

const run = (workflowType: string, id: string) =>
  client.workflow.execute(workflowType, {
    taskQueue: config.temporal.taskQueue,
    workflowId: `${id}-${config.temporal.taskQueue}`,
  });

describe('periodic jobs on the real Temporal server', () => {
  it('cleanup purges expired sessions, old processed webhooks, and events, deliveries, automation inputs and Meta events past retention only', async () => {
    const org = await store.organizations.create('Acme');
    const live = await store.sessions.create(org._id, 'u', 3_600_000);
    await store.sessions.create(org._id, 'u', -1);
    await store.sessions.create(org._id, 'u', -1);
    const [old, recent] = await store.inboundWebhooks.saveMany([
      { provider: 'meta', body: '{}' },
      { provider: 'meta', body: '{}' },
    ]);
    await store.inboundWebhooks.markProcessed([recent!._id]);
    await raw.update(
      'inbound_webhooks',
      { _id: old!._id },
      { processed_at: new Date(Date.now() - 8 * 86_400_000) },
    );
    // WooCommerce deliveries handed off to their order: one a week old, one recent.
    const delivery = (id: string) => ({
      _id: id,
      org_id: org._id,
      store_id: 's',
      order_id: '1',
      topic: 'order.updated',
      body: '{}',
      received_at: new Date(),
      handed_off_at: null,
      attempts: 0,
      last_error: null,
    });
    await store.wooDeliveries.saveMany([delivery('s:old'), delivery('s:recent')]);
    await store.wooDeliveries.markHandedOff(['s:old', 's:recent']);
    await raw.update(
      'woo_deliveries',
      { _id: 's:old' },
      { handed_off_at: new Date(Date.now() - 8 * 86_400_000) },
    );

    // Events and webhook deliveries: one past the 30-day retention, one within it.
    const days = (n: number) => new Date(Date.now() - n * 86_400_000);
    await store.events.record(org._id, 'contact.created:old', 'contact.created', {});
    await store.events.record(org._id, 'contact.created:recent', 'contact.created', {});
    expect(
      await raw.update('events', { _id: 'contact.created:old' }, { created_at: days(31) }),
    ).toBe(1);
    for (const [id, at] of [
      ['contact.created:old', days(31)],
      ['contact.created:recent', days(29)],
    ] as const) {
      await store.webhookDeliveries.claim([
        {
          _id: id,
          org_id: org._id,
          event_type: 'contact.created',
          body: '{}',
          endpoint_ids: ['e'],
          created_at: at,
        },
      ]);
      await store.webhookDeliveries.recordAttempts([
        {
          _id: `e:${id}:0:1`,
          org_id: org._id,
          endpoint_id: 'e',
          event_id: id,
          run: 0,
          attempt: 1,
          at,
          status_code: 200,
          latency_ms: 1,
          error: null,
          outcome: 'delivered',
          next_attempt_at: null,
        },
      ]);
    }

    // Meta events, matched or not: one past the 30-day retention of each kind, one within it.
    const metaEvent = (id: string, at: Date, orgIds: string[]) => ({
      _id: id,
      org_ids: orgIds,
      waba_id: '102290129340398',
      phone_number_id: null,
      field: 'account_update',
      value: { event: 'VERIFIED_ACCOUNT' },
      state: orgIds.length ? ('stored' as const) : ('unmatched' as const),
      reason: orgIds.length ? null : 'No account has WABA 102290129340398',
      received_at: at,
    });
    await store.metaEvents.record([
      metaEvent(`${org._id}:old`, days(31), [org._id]),
      metaEvent(`${org._id}:unmatched-old`, days(31), []),
      metaEvent(`${org._id}:recent`, days(29), [org._id]),
    ]);

    // Automation inputs routed from events: one past the events' retention, one within it.
    const input = (id: string, created_at: Date) => ({
      _id: id,
      org_id: org._id,
      contact_id: 'c',
      decision: { kind: 'none' as const, reason: 'no automation matched' },
      state: 'done' as const,
      created_at,
      done_at: created_at,
    });
    await store.automationInputs.decide([
      input('message.incoming:old', days(31)),
      input('message.incoming:recent', days(29)),
    ]);

    const result = await run('cleanupWorkflow', cleanupWorkflowId());

    expect(result).toEqual({
      sessionsPurged: 2,
      webhooksPurged: 2,
      eventsPurged: 1,
      deliveriesPurged: 1,
      automationInputsPurged: 1,
      metaEventsPurged: 2,
    });
    expect(await store.automationInputs.get('message.incoming:old')).toBeNull();
    expect(await store.automationInputs.get('message.incoming:recent')).not.toBeNull();
    expect((await store.metaEvents.list(org._id, { limit: 10 })).map((e) => e._id)).toEqual([
      `${org._id}:recent`,
    ]);
    expect(await store.sessions.findActive(live.token)).not.toBeNull();
    expect(await store.inboundWebhooks.get(old!._id)).toBeNull();
    expect(await store.inboundWebhooks.get(recent!._id)).not.toBeNull();
    expect(await store.wooDeliveries.get('s:old')).toBeNull();
    expect(await store.wooDeliveries.get('s:recent')).not.toBeNull();
    expect((await store.events.list(org._id)).map((e) => e._id)).toEqual([
      'contact.created:recent',
    ]);
    expect(await store.webhookDeliveries.dispatch('contact.created:old')).toBeNull();
    expect(await store.webhookDeliveries.dispatch('contact.created:recent')).not.toBeNull();
    expect(
      await store.webhookDeliveries.attemptsOf('e', [
        'contact.created:old',
        'contact.created:recent',
      ]),
    ).toHaveLength(1);
  });

  it('recovery delivers unflushed events and processes abandoned webhooks', async () => {
    const org = await store.organizations.create('Acme');
    // Written but never flushed, as after a crash.
    const contact = await store.contacts.create(org._id, { phone_number: '+14155550100' });
    const account = await store.accounts.create(org._id, {
      name: 'Main',
      phoneNumberId: '106540352242922',
      wabaId: '102290129340398',
      accessToken: 'EAAG',
      appSecret: randomBytes(16).toString('hex'),
      verifyToken: 'v',
    });
    // Stored by an API process that died before processing it.
    const body = JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: account.waba_id,
          changes: [
            {
              field: 'messages',
              value: {
                messaging_product: 'whatsapp',
                metadata: {
                  display_phone_number: '15550783881',
                  phone_number_id: account.phone_number_id,
                },
                contacts: [{ profile: { name: 'Sheena Nelson' }, wa_id: '16505551234' }],
                messages: [
                  {
                    from: '16505551234',
                    id: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=',
                    timestamp: '1749416383',
                    type: 'text',
                    text: { body: 'Does it come in another color?' },
                  },
                ],
              },
            },
          ],
        },
      ],
    });
    const [stored] = await store.inboundWebhooks.saveMany([{ provider: 'meta', body }]);
    await raw.update(
      'inbound_webhooks',
      { _id: stored!._id },
      { received_at: new Date(Date.now() - 3 * 60_000) },
    );

    const result = await run('recoveryWorkflow', recoveryWorkflowId());

    expect(result).toEqual({
      // PostgreSQL records the event with the contact, MongoDB leaves it for this sweep.
      eventsRecovered: config.store === 'mongo' ? 1 : 0,
      webhooksRecovered: 1,
      deliveriesDispatched: 0,
      deliveriesResumed: 0,
      wooDeliveriesHandedOff: 0,
      paymentEventsRecovered: 0,
      subscriptionsStarted: 0,
      // Its events are routed as they are recorded, not left to the sweep.
      automationInputsRouted: 0,
      automationWaitsTimedOut: 0,
    });
    const created = await store.events.list(org._id, { type: 'contact.created' });
    expect(created.map((e) => e.data.id)).toContain(contact._id);
    const incoming = await store.events.list(org._id, { type: 'message.incoming' });
    expect(incoming).toHaveLength(1);
    expect(incoming[0]!.data).toMatchObject({
      from: '+16505551234',
      text: 'Does it come in another color?',
    });
    expect((await store.inboundWebhooks.get(stored!._id))?.processed_at).not.toBeNull();

    // Nothing left: a second run finds no work.
    expect(await run('recoveryWorkflow', `${recoveryWorkflowId()}-again`)).toEqual({
      eventsRecovered: 0,
      webhooksRecovered: 0,
      deliveriesDispatched: 0,
      deliveriesResumed: 0,
      wooDeliveriesHandedOff: 0,
      paymentEventsRecovered: 0,
      subscriptionsStarted: 0,
      // Its events are routed as they are recorded, not left to the sweep.
      automationInputsRouted: 0,
      automationWaitsTimedOut: 0,
    });
  });

  it('schedules every periodic job once, however often the worker starts', async () => {
    const opts = {
      taskQueue: config.temporal.taskQueue,
      cleanupIntervalMinutes: 30,
      templateSyncIntervalMinutes: 90,
    };
    await ensureSchedules(client, opts);
    await ensureSchedules(client, opts);
    const every = async (id: string) =>
      (await client.schedule.getHandle(id).describe()).spec.intervals?.[0]?.every;
    expect(await every(scheduleIds.recovery)).toBe(60_000);
    expect(await every(scheduleIds.cleanup)).toBe(30 * 60_000);
    expect(await every(scheduleIds.templateSync)).toBe(90 * 60_000);
    const listed: string[] = [];
    for await (const s of client.schedule.list()) listed.push(s.scheduleId);
    for (const id of Object.values(scheduleIds))
      expect(listed.filter((x) => x === id)).toHaveLength(1);
  });
});

import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { startAutomations } from '../../automations/runtime';
import type { RouteInput } from '../../automations/inputs';
import { openTestStore, STORE_KINDS, type TestStore } from '../support/store';
import { createSandbox } from '../../vm';

/**
 * An automation saved through one process starts runs in the others: the change is announced
 * through the store's signals. Here the processes keep what they read for an hour, so only the
 * announcement can make the worker see the new automation.
 */
const sandbox = createSandbox({ isolation: 'inline' });
const quiet = { warn() {}, error() {} };
afterAll(() => sandbox.close());

describe.each(STORE_KINDS)('%s', (kind) => {
  let t: TestStore;
  beforeAll(async () => {
    t = await openTestStore(kind);
  });
  afterAll(() => t?.handle.close());

  it('tells every process that an organization’s automations changed', async () => {
    const { store } = t;
    // Never connected: nothing here arms a timer or creates a payment link.
    const temporal = new Client({ connection: Connection.lazy({ address: 'localhost:1' }) });
    const start = () =>
      startAutomations({
        store,
        signals: t.handle.signals,
        sandbox,
        temporal,
        meta: { markRead: () => Promise.resolve() },
        config: t.config,
        log: quiet,
        // Kept for good unless a change is announced.
        cacheMs: 3_600_000,
      });
    const [api, worker] = [start(), start()];
    const orgId = (await store.organizations.create('Acme'))._id;
    const contact = await store.contacts.create(orgId, {
      phone_number: '+15557100001',
      opted_in: true,
    });
    const input = (n: number): RouteInput => ({
      id: `contact.updated:${n}`,
      orgId,
      contactId: contact._id,
      at: new Date(),
      kind: 'tags_added',
      tags: ['vip'],
    });
    // The worker reads the organization's automations (none) and keeps them.
    await worker.engine.route([input(1)]);
    const a = await store.automations.create(orgId, {
      name: 'VIP',
      enabled: true,
      account_id: 'acc-1',
      trigger: { type: 'tag_added', tag: 'vip' },
      conditions: [],
      priority: 0,
      steps: [{ id: 'tag', type: 'set_tags', add: ['welcomed'], remove: [] }],
    });
    api.engine.forget(orgId);
    for (let i = 0; i < 200; i++) {
      await worker.engine.route([input(100 + i)]);
      if ((await store.automationRuns.list(a._id, { limit: 1 })).length) break;
      await sleep(50);
    }
    const runs = await store.automationRuns.list(a._id, { limit: 5 });
    expect(runs).toHaveLength(1);
    expect(runs[0]!.state).toBe('completed');
    await Promise.all([api.close(), worker.close()]);
  });
});

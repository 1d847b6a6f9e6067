import { randomUUID } from 'node:crypto';
import type { WooActivities } from '../../activities/woocommerce';
import type { WooDeliveryFacts } from '../../woocommerce/delivery';
import {
  type WooOrderInput,
  type WooOrderState,
  wooDeliverySignal,
  wooOrderStateQuery,
} from '../../workflows/contracts/woo-order';
import type { wooOrderWorkflow } from '../../workflows/woo-order';
import { useTimeSkippingWorker } from '../support/time-skipping';
import { testWorkflowBundle } from '../support/workflow-bundle';

/**
 * The order workflow's rules on the time-skipping server: which statuses send, in what order,
 * the per-order cap and the pending-payment reminder. Its activities here are a list of
 * deliveries in memory; the real ones run in test/woocommerce/api.test.ts.
 */
const taskQueue = 'woo-order-workflow';
const HOUR = 3_600_000;

const world = {
  deliveries: new Map<string, WooDeliveryFacts>(),
  maxMessages: 3,
  /** What the activities were asked, in order: `notify:<status>`, `ignore:<status>`, ... */
  calls: [] as string[],
  reasons: [] as string[],
};

const facts = (status: string, over: Partial<WooDeliveryFacts> = {}): WooDeliveryFacts => ({
  status,
  paid: !['pending', 'on-hold'].includes(status),
  tracking: false,
  maxMessages: world.maxMessages,
  reminder: { delayMs: HOUR },
  ...over,
});

const activities: Partial<WooActivities> = {
  async loadWooOrderState() {
    return {
      seenRaw: [],
      handled: [],
      rank: -1,
      sent: 0,
      maxMessages: world.maxMessages,
      reminder: null,
      lastDelivery: null,
      deliveries: [],
    };
  },
  async applyWooDelivery({ delivery }) {
    return world.deliveries.get(delivery) ?? null;
  },
  async recordWooStatus({ status, reason }) {
    world.calls.push(`ignore:${status}`);
    world.reasons.push(reason);
  },
  async notifyWooStatus({ status, capReached, confirmation }) {
    const what = confirmation ? 'confirm' : 'notify';
    world.calls.push(capReached ? `capped:${status}` : `${what}:${status}`);
    return { queued: !capReached };
  },
  async recordWooReminder({ outcome }) {
    world.calls.push(`reminder:${outcome}`);
  },
  async sendWooReminder({ capReached }) {
    world.calls.push(capReached ? 'reminder:capped' : 'reminder:sent');
    return { queued: !capReached };
  },
};

const temporal = useTimeSkippingWorker({
  taskQueue,
  workflowBundle: testWorkflowBundle(),
  activities,
});

beforeEach(() => {
  world.deliveries.clear();
  world.maxMessages = 3;
  world.calls = [];
  world.reasons = [];
});

/** An order and a way to post it deliveries, as the API's hand-off does (signal-with-start). */
function order() {
  const input: WooOrderInput = { orgId: 'org-1', storeId: 'store-1', orderId: randomUUID() };
  const workflowId = `woo:${input.storeId}:${input.orderId}`;
  const deliver = async (
    status: string,
    over: Partial<WooDeliveryFacts> = {},
    id = randomUUID(),
  ) => {
    world.deliveries.set(id, facts(status, over));
    await temporal.env.client.workflow.signalWithStart<
      typeof wooOrderWorkflow,
      [{ delivery: string }]
    >('wooOrderWorkflow', {
      taskQueue,
      workflowId,
      args: [input],
      signal: wooDeliverySignal,
      signalArgs: [{ delivery: id }],
    });
    return id;
  };
  const handle = () => temporal.env.client.workflow.getHandle<typeof wooOrderWorkflow>(workflowId);
  /** Until the workflow has taken `n` deliveries (it answers queries between them). */
  const taken = async (n: number) => {
    for (;;) {
      const state: WooOrderState = await handle().query(wooOrderStateQuery);
      if (state.deliveries.length >= n) return state;
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return { deliver, handle, taken };
}

it('sends each new status once, in order, and ends after a quiet week', async () => {
  const o = order();
  await o.deliver('processing');
  await o.deliver('processing');
  await o.deliver('shipped');
  await o.deliver('completed');
  const state = await o.handle().result();
  expect(world.calls).toEqual(['notify:processing', 'notify:shipped', 'notify:completed']);
  expect(state).toMatchObject({
    sent: 3,
    handled: ['processing', 'shipped', 'completed'],
    rank: 3,
  });
});

it('never goes backwards: a late processing after completed sends nothing, with its reason', async () => {
  const o = order();
  // Completed with no payment recorded: not confirmed ahead of it.
  await o.deliver('completed', { paid: false });
  await o.taken(1);
  await o.deliver('processing');
  await o.handle().result();
  expect(world.calls).toEqual(['notify:completed', 'ignore:processing']);
  expect(world.reasons).toEqual(['Out of order: the order is already past processing']);
});

it('takes a delivery handed off twice once', async () => {
  const o = order();
  const id = await o.deliver('processing');
  await o.taken(1);
  world.deliveries.set(id, facts('shipped'));
  await o.deliver('shipped', {}, id);
  await o.handle().result();
  expect(world.calls).toEqual(['notify:processing']);
});

it('treats a completed order with tracking as shipped, then nothing more for repeats', async () => {
  const o = order();
  await o.deliver('processing');
  await o.deliver('completed', { tracking: true });
  await o.deliver('completed', { tracking: true });
  await o.handle().result();
  expect(world.calls).toEqual(['notify:processing', 'notify:shipped']);
});

it('stops at the per-order maximum', async () => {
  world.maxMessages = 2;
  const o = order();
  for (const s of ['processing', 'shipped', 'completed']) await o.deliver(s);
  const state = await o.handle().result();
  expect(world.calls).toEqual(['notify:processing', 'notify:shipped', 'capped:completed']);
  expect(state.sent).toBe(2);
});

it('ignores anything after the order ended', async () => {
  const o = order();
  await o.deliver('processing');
  await o.deliver('cancelled');
  await o.deliver('completed');
  await o.handle().result();
  expect(world.calls).toEqual(['notify:processing', 'notify:cancelled', 'ignore:completed']);
  expect(world.reasons).toEqual(['The order has already ended']);
});

describe('the order confirmation (the reference maps it to Order Created)', () => {
  it('goes ahead of the status of an order created paid, once, whatever comes after', async () => {
    const o = order();
    await o.deliver('completed');
    await o.taken(1);
    await o.deliver('processing');
    const state = await o.handle().result();
    expect(world.calls).toEqual(['confirm:processing', 'notify:completed', 'ignore:processing']);
    expect(world.reasons).toEqual(['Status processing was already handled']);
    expect(state).toMatchObject({ sent: 2, handled: ['processing', 'completed'] });
  });

  it('goes for an order created paid and on hold, not again when it becomes processing', async () => {
    const o = order();
    await o.deliver('on-hold', { paid: true });
    await o.taken(1);
    await o.deliver('processing');
    await o.handle().result();
    expect(world.calls).toEqual(['confirm:processing', 'ignore:on-hold', 'ignore:processing']);
  });

  it('waits for processing when the order is created unpaid, the reminder in between', async () => {
    const o = order();
    await o.deliver('pending');
    await o.taken(1);
    await o.deliver('pending', { paid: true });
    await o.deliver('processing');
    await o.handle().result();
    expect(world.calls).toEqual([
      'notify:pending',
      'reminder:scheduled',
      'reminder:cancelled',
      'notify:processing',
    ]);
  });

  it('goes once when processing arrives before the order-created delivery', async () => {
    const o = order();
    await o.deliver('processing');
    await o.taken(1);
    await o.deliver('on-hold', { paid: true });
    await o.handle().result();
    expect(world.calls).toEqual(['notify:processing', 'ignore:on-hold']);
  });
});

describe('the pending-payment reminder', () => {
  it('goes once, an hour after an unpaid order, and not before', async () => {
    const o = order();
    await o.deliver('pending');
    await o.taken(1);
    await temporal.env.sleep('59 minutes');
    expect(world.calls).toEqual(['notify:pending', 'reminder:scheduled']);
    await temporal.env.sleep('2 minutes');
    await o.deliver('on-hold');
    const state = await o.handle().result();
    expect(world.calls).toEqual([
      'notify:pending',
      'reminder:scheduled',
      'reminder:sent',
      'notify:on-hold',
    ]);
    expect(state.reminder?.state).toBe('sent');
  });

  it('is cancelled by payment first', async () => {
    const o = order();
    await o.deliver('pending');
    await o.taken(1);
    await temporal.env.sleep('30 minutes');
    await o.deliver('processing');
    const state = await o.handle().result();
    expect(world.calls).toEqual([
      'notify:pending',
      'reminder:scheduled',
      'reminder:cancelled',
      'notify:processing',
    ]);
    expect(state.reminder?.state).toBe('cancelled');
  });

  it('is cancelled by cancellation, and by a payment recorded without a new status', async () => {
    const cancelled = order();
    await cancelled.deliver('on-hold');
    await cancelled.taken(1);
    await cancelled.deliver('cancelled');
    await cancelled.handle().result();
    expect(world.calls).toEqual([
      'notify:on-hold',
      'reminder:scheduled',
      'reminder:cancelled',
      'notify:cancelled',
    ]);

    world.calls = [];
    const paid = order();
    await paid.deliver('on-hold');
    await paid.taken(1);
    await paid.deliver('on-hold', { paid: true });
    await paid.handle().result();
    expect(world.calls).toEqual(['notify:on-hold', 'reminder:scheduled', 'reminder:cancelled']);
  });

  it('counts against the per-order maximum', async () => {
    world.maxMessages = 1;
    const o = order();
    await o.deliver('pending');
    await o.handle().result();
    expect(world.calls).toEqual(['notify:pending', 'reminder:scheduled', 'reminder:capped']);
  });
});

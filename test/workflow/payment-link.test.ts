import { randomUUID } from 'node:crypto';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { PaymentActivities } from '../../activities/payments';
import {
  type PaymentGatewayEvent,
  cancelPaymentLinkUpdate,
  paymentEventSignal,
} from '../../workflows/contracts/payment-link';
import type { paymentLinkWorkflow } from '../../workflows/payment-link';
import { useTimeSkippingWorker } from '../support/time-skipping';
import { testWorkflowBundle } from '../support/workflow-bundle';

/**
 * The payment link workflow's own logic on the time-skipping server: every branch between the
 * gateway's outcome, the reminder and the expiry. Its activities here record their calls; the
 * real ones run in test/payments.
 */
const taskQueue = 'payment-link-workflow';
const HOUR = 3_600_000;

const world = {
  calls: [] as string[],
  expiresInMs: 24 * HOUR,
  remindInMs: (12 * HOUR) as number | null,
  rejectCreate: false,
  /** When set, closing waits for it: a payment can arrive meanwhile. */
  closing: null as Promise<void> | null,
  closeStarted: () => {},
};

const activities: Partial<PaymentActivities> = {
  async createGatewayLink() {
    world.calls.push('create');
    if (world.rejectCreate) {
      throw ApplicationFailure.nonRetryable(
        'Razorpay: The amount must be atleast INR 1.00.',
        'PaymentGatewayRejected',
      );
    }
    // The server's clock, which the tests skip ahead: the workflow's timers run on it.
    const now = await temporal.env.currentTimeMs();
    return {
      expiresAt: now + world.expiresInMs,
      remindAt: world.remindInMs === null ? null : now + world.remindInMs,
      remindersSent: 0,
    };
  },
  async failPaymentLinkCreation(_id, error) {
    world.calls.push(`create-failed:${error}`);
  },
  async sendPaymentMessage(_id, kind) {
    world.calls.push(`send:${kind}`);
  },
  async paymentLinkPaid(_id, paymentId) {
    world.calls.push(`paid:${paymentId}`);
  },
  async paymentLinkFailed(_id, attempt) {
    world.calls.push(`failed:${attempt.paymentId}`);
  },
  async closePaymentLink(_id, to, deactivate) {
    world.calls.push(`close:${to}:${deactivate ? 'deactivate' : 'gateway'}`);
    if (world.closing) {
      world.closeStarted();
      await world.closing;
    }
  },
};

const temporal = useTimeSkippingWorker({
  taskQueue,
  workflowBundle: testWorkflowBundle(),
  activities,
});

beforeEach(() => {
  Object.assign(world, {
    calls: [],
    expiresInMs: 24 * HOUR,
    remindInMs: 12 * HOUR,
    rejectCreate: false,
    closing: null,
  });
});

async function start() {
  const linkId = randomUUID();
  return temporal.env.client.workflow.start<typeof paymentLinkWorkflow>('paymentLinkWorkflow', {
    taskQueue,
    workflowId: `payment:${linkId}`,
    args: [{ linkId, orgId: 'org-1' }],
  });
}

type Handle = Awaited<ReturnType<typeof start>>;

/** Until the workflow waits on its timer: nothing but the test moves its clock then. */
async function untilWaiting(handle: Handle, timers = 1) {
  for (;;) {
    const { events } = await handle.fetchHistory();
    if ((events ?? []).filter((e) => e.timerStartedEventAttributes).length >= timers) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

const event = (kind: PaymentGatewayEvent['kind'], paymentId: string | null = null) => ({
  eventId: `razorpay:${randomUUID()}`,
  kind,
  paymentId,
  reason: kind === 'failed' ? 'card declined' : null,
  at: Date.now(),
});

it('sends the link, and ends paid when the gateway reports a payment: no reminder', async () => {
  const handle = await start();
  await untilWaiting(handle);
  await temporal.env.sleep('1 hour');
  await handle.signal(paymentEventSignal, event('paid', 'pay_1'));
  expect(await handle.result()).toBe('paid');
  expect(world.calls).toEqual(['create', 'send:link', 'paid:pay_1']);
});

it('reminds once at half time, then expires and deactivates at the gateway', async () => {
  const handle = await start();
  await untilWaiting(handle);
  await temporal.env.sleep('11 hours');
  expect(world.calls).toEqual(['create', 'send:link']);
  expect(await handle.result()).toBe('expired');
  expect(world.calls).toEqual(['create', 'send:link', 'send:reminder', 'close:expired:deactivate']);
});

it('sends no reminder when it is off', async () => {
  world.remindInMs = null;
  world.expiresInMs = HOUR / 4;
  const handle = await start();
  expect(await handle.result()).toBe('expired');
  expect(world.calls).toEqual(['create', 'send:link', 'close:expired:deactivate']);
});

it('stays payable after a failed attempt: a later payment wins', async () => {
  const handle = await start();
  await untilWaiting(handle);
  await handle.signal(paymentEventSignal, event('failed', 'pay_bad'));
  await untilWaiting(handle, 2);
  await temporal.env.sleep('13 hours');
  await handle.signal(paymentEventSignal, event('paid', 'pay_good'));
  expect(await handle.result()).toBe('paid');
  expect(world.calls).toEqual([
    'create',
    'send:link',
    'failed:pay_bad',
    'send:reminder',
    'paid:pay_good',
  ]);
});

it('is cancelled through its update and deactivated at the gateway at once', async () => {
  const handle = await start();
  await untilWaiting(handle);
  expect(await handle.executeUpdate(cancelPaymentLinkUpdate)).toBe('cancelled');
  expect(await handle.result()).toBe('cancelled');
  expect(world.calls).toEqual(['create', 'send:link', 'close:cancelled:deactivate']);
});

it('refuses to cancel a paid link', async () => {
  const handle = await start();
  await untilWaiting(handle);
  await handle.signal(paymentEventSignal, event('paid', 'pay_1'));
  await expect(handle.result()).resolves.toBe('paid');
  await expect(handle.executeUpdate(cancelPaymentLinkUpdate)).rejects.toThrow();
});

it('closes without deactivating when the gateway expired the link itself', async () => {
  const handle = await start();
  await untilWaiting(handle);
  await handle.signal(paymentEventSignal, event('expired'));
  expect(await handle.result()).toBe('expired');
  expect(world.calls).toEqual(['create', 'send:link', 'close:expired:gateway']);
});

it('records a payment that arrives while the link is expiring, after the close', async () => {
  let release!: () => void;
  world.closing = new Promise((r) => (release = r));
  const started = new Promise<void>((r) => (world.closeStarted = r));
  world.expiresInMs = HOUR;
  world.remindInMs = null;
  const handle = await start();
  const result = handle.result();
  await started;
  await handle.signal(paymentEventSignal, event('paid', 'pay_late'));
  release();
  expect(await result).toBe('paid');
  expect(world.calls).toEqual(['create', 'send:link', 'close:expired:deactivate', 'paid:pay_late']);
});

it('fails for good, sending nothing, when the gateway refuses to create the link', async () => {
  world.rejectCreate = true;
  const handle = await start();
  expect(await handle.result()).toBe('failed');
  expect(world.calls).toEqual([
    'create',
    'create-failed:Razorpay: The amount must be atleast INR 1.00.',
  ]);
  await expect(handle.executeUpdate(cancelPaymentLinkUpdate)).rejects.toBeInstanceOf(Error);
});

it('rejects a second cancel while the first is closing the link', async () => {
  let release!: () => void;
  world.closing = new Promise((r) => (release = r));
  const started = new Promise<void>((r) => (world.closeStarted = r));
  const handle = await start();
  await untilWaiting(handle);
  const first = handle.executeUpdate(cancelPaymentLinkUpdate);
  await started;
  await expect(handle.executeUpdate(cancelPaymentLinkUpdate)).rejects.toBeInstanceOf(
    WorkflowUpdateFailedError,
  );
  release();
  expect(await first).toBe('cancelled');
});

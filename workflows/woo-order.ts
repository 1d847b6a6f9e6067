import {
  condition,
  continueAsNew,
  patched,
  proxyActivities,
  setHandler,
} from '@temporalio/workflow';
import type { WooActivities } from '../activities/woocommerce';
import type { WooDeliveryFacts } from '../woocommerce/delivery';
import {
  CONFIRMATION_STATUS,
  confirmationDue,
  confirmed,
  decideStatus,
  freshWooOrderState,
  UNPAID_STATUSES,
} from './contracts/woo-order-statuses';
import {
  type WooDeliverySignal,
  type WooOrderInput,
  type WooOrderState,
  wooDeliverySignal,
  wooOrderStateQuery,
} from './contracts/woo-order';

const acts = proxyActivities<WooActivities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumInterval: '30 seconds' },
});

/** An order quiet this long (no reminder waiting) ends its run; a later delivery starts another. */
const IDLE_MS = 7 * 24 * 3_600_000;
/** Deliveries per run: a few activities each, so a run's history stays small. */
const DELIVERIES_PER_RUN = 100;
/** Delivery ids remembered against a repeated hand-off. */
const REMEMBERED_DELIVERIES = 20;
/** Histories from before the confirmation could go ahead of a status replay without it. */
const CONFIRMATION_PATCH = 'woo-order-confirmation';

/**
 * A WooCommerce order, `woo:<storeId>:<orderId>`: takes its deliveries (signal-with-start), sends
 * the template mapped to each new status, never the same status twice, never backwards, never
 * more than the store's per-order maximum, and one reminder for an order left unpaid (cancelled
 * by payment or any further status). The confirmation (`processing`'s template) goes once: when
 * the order comes paid or becomes processing, whichever is first.
 */
export async function wooOrderWorkflow(input: WooOrderInput): Promise<WooOrderState> {
  const ref = { orgId: input.orgId, storeId: input.storeId, orderId: input.orderId };
  const inbox: WooDeliverySignal[] = [];
  setHandler(wooDeliverySignal, (s) => void inbox.push(s));
  // Answers queries while the stored state loads.
  let state: WooOrderState = input.state ?? freshWooOrderState(0);
  setHandler(wooOrderStateQuery, () => state);
  if (!input.state) state = await acts.loadWooOrderState(ref);

  for (let taken = 0; ;) {
    const reminderDue = state.reminder?.state === 'scheduled' ? state.reminder.dueAt : null;
    const wait = reminderDue !== null ? Math.max(0, reminderDue - Date.now()) : IDLE_MS;
    if (!(await condition(() => inbox.length > 0, wait))) {
      if (reminderDue !== null) {
        await remind();
        continue;
      }
      return state;
    }
    const { delivery } = inbox.shift()!;
    if (state.deliveries.includes(delivery)) continue;
    state = { ...state, deliveries: [...state.deliveries, delivery].slice(-REMEMBERED_DELIVERIES) };
    await take(delivery);
    if (++taken >= DELIVERIES_PER_RUN && !inbox.length) {
      return await continueAsNew<typeof wooOrderWorkflow>({ ...input, state });
    }
  }

  async function take(delivery: string): Promise<void> {
    const facts = await acts.applyWooDelivery({ ...ref, delivery });
    if (!facts) return;
    if (confirmationDue(state, facts.status, facts.paid) && patched(CONFIRMATION_PATCH)) {
      await confirm(delivery, facts);
    }
    const { decision, next } = decideStatus(state, facts.status, facts.tracking);
    state = { ...state, ...next, maxMessages: facts.maxMessages };
    if (decision.kind === 'repeat') {
      if (facts.paid) await cancelReminder('The order was paid');
      return;
    }
    const base = { ...ref, delivery, status: decision.status, rawStatus: facts.status };
    if (decision.kind === 'ignore') {
      await acts.recordWooStatus({ ...base, outcome: 'ignored', reason: decision.reason });
      return;
    }
    state = { ...state, lastDelivery: delivery };
    const unpaid = UNPAID_STATUSES.has(decision.status) && !facts.paid;
    if (!unpaid) {
      await cancelReminder(facts.paid ? 'The order was paid' : `The order is ${decision.status}`);
    }
    const { queued } = await acts.notifyWooStatus({
      ...base,
      capReached: state.sent >= state.maxMessages,
    });
    if (queued) state = { ...state, sent: state.sent + 1 };
    if (unpaid && facts.reminder && !state.reminder) {
      const dueAt = Date.now() + facts.reminder.delayMs;
      state = { ...state, reminder: { state: 'scheduled', dueAt } };
      await acts.recordWooReminder({ ...ref, outcome: 'scheduled', at: dueAt, reason: null });
    }
  }

  /** The confirmation of an order created paid, ahead of its own status. */
  async function confirm(delivery: string, facts: WooDeliveryFacts): Promise<void> {
    state = {
      ...state,
      ...confirmed(state),
      maxMessages: facts.maxMessages,
      lastDelivery: delivery,
    };
    const { queued } = await acts.notifyWooStatus({
      ...ref,
      delivery,
      status: CONFIRMATION_STATUS,
      rawStatus: facts.status,
      confirmation: true,
      capReached: state.sent >= state.maxMessages,
    });
    if (queued) state = { ...state, sent: state.sent + 1 };
  }

  async function cancelReminder(reason: string): Promise<void> {
    if (state.reminder?.state !== 'scheduled') return;
    state = { ...state, reminder: { ...state.reminder, state: 'cancelled' } };
    await acts.recordWooReminder({ ...ref, outcome: 'cancelled', at: Date.now(), reason });
  }

  async function remind(): Promise<void> {
    const { queued } = await acts.sendWooReminder({
      ...ref,
      delivery: state.lastDelivery,
      capReached: state.sent >= state.maxMessages,
    });
    state = {
      ...state,
      sent: state.sent + (queued ? 1 : 0),
      reminder: { state: queued ? 'sent' : 'skipped', dueAt: state.reminder!.dueAt },
    };
  }
}

import type { Store } from '../store';
import type { WooOrderEvent, WooOrderOutcome } from '../store/contract/woocommerce';
import { orderOfDelivery, type WooOrderRef } from './delivery';
import { sendWooTemplate, type WooSendDeps } from './send';

/** Whether a notification went into the send queue. */
export type WooNotifyOutcome = { queued: boolean };

function event(
  id: string,
  kind: WooOrderEvent['kind'],
  outcome: WooOrderOutcome,
  over: Partial<WooOrderEvent> = {},
): WooOrderEvent {
  return {
    id,
    kind,
    at: new Date(),
    status: null,
    raw_status: null,
    outcome,
    reason: null,
    template: null,
    message_id: null,
    delivery_id: null,
    ...over,
  };
}

/** A status that sends nothing (a repeat, out of order, after the order ended). */
export type WooStatusRecord = WooOrderRef & {
  delivery: string;
  status: string;
  rawStatus: string;
  outcome: WooOrderOutcome;
  reason: string;
};

/** A newly handled status, and whether the order's message cap is reached. */
export type WooStatusNotice = WooOrderRef & {
  delivery: string;
  status: string;
  rawStatus: string;
  /** The confirmation sent ahead of the delivery's own status (a paid order never processing). */
  confirmation?: boolean;
  capReached: boolean;
};

/** The reminder scheduled (`at`: when due) or cancelled. */
export type WooReminderRecord = WooOrderRef & {
  outcome: 'scheduled' | 'cancelled';
  at: number;
  reason: string | null;
};

/** The pending-payment reminder's send, from the order's latest delivery. */
export type WooReminderNotice = WooOrderRef & { delivery: string | null; capReached: boolean };

const record = (store: Store, ref: WooOrderRef, e: WooOrderEvent, fields = {}) =>
  store.wooOrders.record(ref.orgId, ref.storeId, ref.orderId, fields, e);

/** Records a status that sends nothing (a repeat, out of order, after the order ended). */
export async function recordWooStatus(
  { store }: { store: Store },
  input: WooStatusRecord,
): Promise<void> {
  await record(
    store,
    input,
    event(`status:${input.rawStatus}`, 'status', input.outcome, {
      status: input.status,
      raw_status: input.rawStatus,
      reason: input.reason,
      delivery_id: input.delivery,
    }),
  );
}

/** Sends the template the store maps to a newly handled status, or records why not. */
export async function notifyWooStatus(
  deps: WooSendDeps,
  input: WooStatusNotice,
): Promise<WooNotifyOutcome> {
  const { store } = deps;
  const [shop, order] = await Promise.all([
    store.wooStores.get(input.orgId, input.storeId),
    orderOfDelivery(store, input.delivery),
  ]);
  const base = {
    status: input.status,
    raw_status: input.rawStatus,
    delivery_id: input.delivery,
  };
  const id = input.confirmation ? 'confirmation' : `status:${input.rawStatus}`;
  const mapping = shop?.settings.status_templates[input.status] ?? null;
  if (!shop || !order || !mapping) {
    const reason = shop ? `No template is mapped to ${input.status}` : 'The store was deleted';
    await record(store, input, event(id, 'status', 'unmapped', { ...base, reason }), {
      status: input.status,
    });
    return { queued: false };
  }
  const sent = await sendWooTemplate(
    deps,
    input,
    shop,
    order,
    mapping,
    input.status,
    input.capReached,
  );
  const e =
    'messageId' in sent
      ? event(id, 'status', 'queued', {
          ...base,
          template: mapping.name,
          message_id: sent.messageId,
        })
      : event(id, 'status', 'skipped', {
          ...base,
          template: mapping.name,
          reason: sent.reason,
        });
  await record(store, input, e, { status: input.status });
  return { queued: 'messageId' in sent };
}

/** Records the reminder scheduled (`at`: when due) or cancelled. */
export async function recordWooReminder(
  { store }: { store: Store },
  input: WooReminderRecord,
): Promise<void> {
  await record(
    store,
    input,
    event(`reminder:${input.outcome}`, 'reminder', input.outcome, {
      at: new Date(input.at),
      reason: input.reason,
    }),
  );
}

/** The pending-payment reminder, from the order as its latest delivery had it. */
export async function sendWooReminder(
  deps: WooSendDeps,
  input: WooReminderNotice,
): Promise<WooNotifyOutcome> {
  const { store } = deps;
  const [shop, order] = await Promise.all([
    store.wooStores.get(input.orgId, input.storeId),
    orderOfDelivery(store, input.delivery),
  ]);
  const id = 'reminder:sent';
  const reminder = shop?.settings.pending_reminder;
  let sent: { messageId: string } | { reason: string };
  if (!shop || !order || !reminder?.enabled) {
    sent = { reason: shop ? 'The store turned its reminder off' : 'The store was deleted' };
  } else {
    sent = await sendWooTemplate(
      deps,
      input,
      shop,
      order,
      reminder.template,
      'reminder',
      input.capReached,
    );
  }
  const template = reminder?.template.name ?? null;
  await record(
    store,
    input,
    'messageId' in sent
      ? event(id, 'reminder', 'queued', { template, message_id: sent.messageId })
      : event(id, 'reminder', 'skipped', { template, reason: sent.reason }),
  );
  return { queued: 'messageId' in sent };
}

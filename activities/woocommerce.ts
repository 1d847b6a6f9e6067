import { Context, log } from '@temporalio/activity';
import { idFrom } from '../lib/ids';
import { parameterMismatch } from '../meta/template-parameters';
import type {
  WooOrderEvent,
  WooOrderOutcome,
  WooStoreDoc,
  WooTemplateMapping,
} from '../store/contract/woocommerce';
import { wooOrderKey } from '../store/woocommerce';
import { upsertCustomer } from '../woocommerce/customer';
import { handOffStored } from '../woocommerce/handoff';
import {
  hasTracking,
  isPaid,
  isTruthy,
  metaValue,
  statusOf,
  type WooOrder,
} from '../woocommerce/order';
import { stateFromOrder } from '../woocommerce/order-state';
import { billingPhone } from '../woocommerce/phone';
import {
  emptyParameters,
  parameterValues,
  renderMapping,
  type ParameterSource,
} from '../woocommerce/parameters';
import type { WooOrderState } from '../workflows/contracts/woo-order';
import type { ContactDoc } from '../store/documents';
import { actionValuesForContacts } from '../actions/contact-values';
import type { ActivityDeps } from './deps';

/** Deliveries this old and not handed off were left behind by their API process. */
const ABANDONED_AFTER_MS = 2 * 60_000;
const DELIVERIES_PER_SWEEP = 500;

export interface WooOrderRef {
  orgId: string;
  storeId: string;
  orderId: string;
}

/** What one delivery says, for the workflow's decisions. */
export interface WooDeliveryFacts {
  status: string;
  paid: boolean;
  tracking: boolean;
  maxMessages: number;
  /** The store's pending-payment reminder, when on. */
  reminder: { delayMs: number } | null;
}

type Outcome = { queued: boolean };

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

/**
 * What a WooCommerce order's workflow does: reads its deliveries, keeps the customer's contact,
 * records what happened to the order, and puts its notifications in the send queue
 * (transactional: ahead of campaigns). `sources` add template parameter values (custom actions).
 */
export function wooActivities(
  {
    store,
    signals,
    config,
    sandbox,
  }: Pick<ActivityDeps, 'store' | 'signals' | 'config' | 'sandbox'>,
  sources: readonly ParameterSource[] = [],
) {
  /** The mapping's action run for the customer, the order as its input. */
  async function actionValues(
    actionId: string,
    orgId: string,
    contact: ContactDoc,
    order: WooOrder,
  ): Promise<{ values: Record<string, string> } | { skip: string }> {
    const action = await store.actions.get(orgId, actionId);
    if (!action) return { skip: `The mapping's action '${actionId}' was deleted` };
    const results = await actionValuesForContacts(
      { store, sandbox: sandbox },
      { action, contacts: [contact], caller: { type: 'woocommerce', id: null }, input: order },
    );
    const r = results.get(contact._id);
    if (!r) return { skip: 'The action did not run' };
    return r.ok
      ? { values: r.values }
      : { skip: `Action ${r.error.type} error: ${r.error.message}` };
  }

  async function shopOf(ref: WooOrderRef): Promise<WooStoreDoc | null> {
    return store.wooStores.get(ref.orgId, ref.storeId);
  }

  async function orderOf(delivery: string | null): Promise<WooOrder | null> {
    const doc = delivery ? await store.wooDeliveries.get(delivery) : null;
    if (!doc) return null;
    try {
      return JSON.parse(doc.body) as WooOrder;
    } catch {
      return null;
    }
  }

  /** The contact its delivery made (or makes now, if it was deleted since). */
  async function customerOf(shop: WooStoreDoc, order: WooOrder) {
    const phone = billingPhone(order.billing?.phone ?? '', order.billing?.country);
    const contact = phone && (await store.contacts.findByPhone(shop.org_id, phone));
    return contact && phone ? { contact, phone } : upsertCustomer(store, shop, order);
  }

  const record = (ref: WooOrderRef, e: WooOrderEvent, fields = {}) =>
    store.wooOrders.record(ref.orgId, ref.storeId, ref.orderId, fields, e);

  /** Queues `mapping` for the order's customer, or says why not. */
  async function send(
    ref: WooOrderRef,
    shop: WooStoreDoc,
    order: WooOrder,
    mapping: WooTemplateMapping,
    key: string,
    capReached: boolean,
  ): Promise<{ messageId: string } | { reason: string }> {
    if (capReached) {
      return {
        reason: `The order has had its ${shop.settings.max_messages_per_order} messages (the store's maximum)`,
      };
    }
    const customer = await customerOf(shop, order);
    if (!customer) return { reason: 'The order has no usable billing phone number' };
    const { opt_in } = shop.settings;
    if (
      opt_in.required &&
      !customer.contact.opted_in &&
      !isTruthy(metaValue(order, opt_in.meta_key))
    ) {
      return {
        reason: `No opt-in: the order has no ${opt_in.meta_key} and the contact has not opted in`,
      };
    }
    const account = await store.accounts.resolve(ref.orgId, shop.account_id);
    if (!account) return { reason: 'No WhatsApp account to send from' };
    if (account.status === 'disconnected')
      return { reason: 'The WhatsApp account is disconnected' };
    const template = await store.templates.find(
      ref.orgId,
      account._id,
      mapping.name,
      mapping.language,
    );
    if (!template || template.status !== 'APPROVED') {
      return {
        reason: `Template '${mapping.name}' (${mapping.language}) not found or not approved`,
      };
    }
    const values = await parameterValues(order, shop, sources);
    if (mapping.action_id) {
      const got = await actionValues(mapping.action_id, ref.orgId, customer.contact, order);
      if ('skip' in got) return { reason: got.skip };
      for (const [k, v] of Object.entries(got.values)) values[`action.${k}`] = v;
    }
    const components = renderMapping(mapping, order, values);
    const mismatch = parameterMismatch(
      template,
      components as unknown as Parameters<typeof parameterMismatch>[1],
    );
    if (mismatch) return { reason: mismatch };
    if (emptyParameters(components)) {
      return { reason: `Template '${mapping.name}' has a parameter the order gives no value for` };
    }
    const messageId = idFrom(`woo:${shop._id}:${ref.orderId}:${key}`);
    await store.sendQueue.enqueue(
      [
        {
          _id: messageId,
          org_id: ref.orgId,
          account_id: account._id,
          contact_id: customer.contact._id,
          direction: 'outbound',
          phone_number: customer.phone,
          type: 'template',
          content: {
            name: template.name,
            language: { code: template.language },
            ...(components.length ? { components } : {}),
          },
          origin: 'woocommerce',
          origin_id: wooOrderKey(shop._id, ref.orderId),
          request_hash: null,
          wamid: null,
          status: 'queued',
        },
      ],
      'transactional',
    );
    await signals.publish('send_queued', account._id).catch(() => undefined);
    return { messageId };
  }

  return {
    /** The state an earlier run left on the order (a fresh one for a new order). */
    async loadWooOrderState(ref: WooOrderRef): Promise<WooOrderState> {
      const [doc, shop] = await Promise.all([
        store.wooOrders.get(ref.orgId, ref.storeId, ref.orderId),
        shopOf(ref),
      ]);
      return stateFromOrder(doc, shop?.settings.max_messages_per_order ?? 0);
    },

    /**
     * Reads a delivery: the customer becomes a contact, the order its record; returns what the
     * workflow decides on. Null when the store or the delivery is gone, or it names no status.
     */
    async applyWooDelivery(
      ref: WooOrderRef & { delivery: string },
    ): Promise<WooDeliveryFacts | null> {
      const [shop, order] = await Promise.all([shopOf(ref), orderOf(ref.delivery)]);
      const status = order && statusOf(order);
      if (!shop || !order || !status) return null;
      const customer = await upsertCustomer(store, shop, order);
      const v = await parameterValues(order, shop);
      await store.wooOrders.record(ref.orgId, ref.storeId, ref.orderId, {
        number: v.order_number,
        total: v.total,
        currency: v.currency,
        ...(customer ? { contact_id: customer.contact._id, phone_number: customer.phone } : {}),
      });
      const { pending_reminder: reminder, max_messages_per_order } = shop.settings;
      return {
        status,
        paid: isPaid(order),
        tracking: hasTracking(order),
        maxMessages: max_messages_per_order,
        reminder: reminder.enabled ? { delayMs: reminder.delay_minutes * 60_000 } : null,
      };
    },

    /** Records a status that sends nothing (a repeat, out of order, after the order ended). */
    async recordWooStatus(
      input: WooOrderRef & {
        delivery: string;
        status: string;
        rawStatus: string;
        outcome: WooOrderOutcome;
        reason: string;
      },
    ): Promise<void> {
      await record(
        input,
        event(`status:${input.rawStatus}`, 'status', input.outcome, {
          status: input.status,
          raw_status: input.rawStatus,
          reason: input.reason,
          delivery_id: input.delivery,
        }),
      );
    },

    /** Sends the template the store maps to a newly handled status, or records why not. */
    async notifyWooStatus(
      input: WooOrderRef & {
        delivery: string;
        status: string;
        rawStatus: string;
        capReached: boolean;
      },
    ): Promise<Outcome> {
      const [shop, order] = await Promise.all([shopOf(input), orderOf(input.delivery)]);
      const base = {
        status: input.status,
        raw_status: input.rawStatus,
        delivery_id: input.delivery,
      };
      const id = `status:${input.rawStatus}`;
      const mapping = shop?.settings.status_templates[input.status] ?? null;
      if (!shop || !order || !mapping) {
        const reason = shop ? `No template is mapped to ${input.status}` : 'The store was deleted';
        await record(input, event(id, 'status', 'unmapped', { ...base, reason }), {
          status: input.status,
        });
        return { queued: false };
      }
      const sent = await send(input, shop, order, mapping, input.status, input.capReached);
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
      await record(input, e, { status: input.status });
      return { queued: 'messageId' in sent };
    },

    /** Records the reminder scheduled (`at`: when due) or cancelled. */
    async recordWooReminder(
      input: WooOrderRef & {
        outcome: 'scheduled' | 'cancelled';
        at: number;
        reason: string | null;
      },
    ): Promise<void> {
      await record(
        input,
        event(`reminder:${input.outcome}`, 'reminder', input.outcome, {
          at: new Date(input.at),
          reason: input.reason,
        }),
      );
    },

    /** The pending-payment reminder, from the order as its latest delivery had it. */
    async sendWooReminder(
      input: WooOrderRef & { delivery: string | null; capReached: boolean },
    ): Promise<Outcome> {
      const [shop, order] = await Promise.all([shopOf(input), orderOf(input.delivery)]);
      const id = 'reminder:sent';
      const reminder = shop?.settings.pending_reminder;
      let sent: { messageId: string } | { reason: string };
      if (!shop || !order || !reminder?.enabled) {
        sent = { reason: shop ? 'The store turned its reminder off' : 'The store was deleted' };
      } else {
        sent = await send(input, shop, order, reminder.template, 'reminder', input.capReached);
      }
      const template = reminder?.template.name ?? null;
      await record(
        input,
        'messageId' in sent
          ? event(id, 'reminder', 'queued', { template, message_id: sent.messageId })
          : event(id, 'reminder', 'skipped', { template, reason: sent.reason }),
      );
      return { queued: 'messageId' in sent };
    },

    /** Hands deliveries that no API process handed off to their orders' workflows. */
    async handOffAbandonedWooDeliveries(): Promise<number> {
      const pending = await store.wooDeliveries.pending(ABANDONED_AFTER_MS, DELIVERIES_PER_SWEEP);
      if (!pending.length) return 0;
      const done = await handOffStored(
        store,
        Context.current().client,
        config.temporal.taskQueue,
        pending,
        {
          warn(meta: object, msg: string) {
            log.warn(msg, { ...meta });
          },
        },
      );
      return done.length;
    },
  };
}

export type WooActivities = ReturnType<typeof wooActivities>;

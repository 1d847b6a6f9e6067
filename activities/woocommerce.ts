import { Context, log } from '@temporalio/activity';
import {
  applyWooDelivery,
  loadWooOrderState,
  type WooDeliveryFacts,
  type WooOrderRef,
} from '../woocommerce/delivery';
import { handOffAbandoned } from '../woocommerce/handoff';
import {
  notifyWooStatus,
  recordWooReminder,
  recordWooStatus,
  sendWooReminder,
  type WooNotifyOutcome,
  type WooReminderNotice,
  type WooReminderRecord,
  type WooStatusNotice,
  type WooStatusRecord,
} from '../woocommerce/notify';
import type { ParameterSource } from '../woocommerce/parameters';
import { orderStatusInput } from '../automations/woo-input';
import type { WooOrderState } from '../workflows/contracts/woo-order';
import type { ActivityDeps } from './deps';

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
    automations,
  }: Pick<ActivityDeps, 'store' | 'signals' | 'config' | 'sandbox'> &
    Partial<Pick<ActivityDeps, 'automations'>>,
  sources: readonly ParameterSource[] = [],
) {
  const send = { store, signals, sandbox, sources };

  return {
    /** The state an earlier run left on the order (a fresh one for a new order). */
    async loadWooOrderState(ref: WooOrderRef): Promise<WooOrderState> {
      return loadWooOrderState({ store }, ref);
    },

    /** Reads a delivery; null when the store or the delivery is gone, or it names no status. */
    async applyWooDelivery(
      ref: WooOrderRef & { delivery: string },
    ): Promise<WooDeliveryFacts | null> {
      return applyWooDelivery({ store }, ref);
    },

    /** Records a status that sends nothing (a repeat, out of order, after the order ended). */
    async recordWooStatus(input: WooStatusRecord): Promise<void> {
      await recordWooStatus({ store }, input);
    },

    /** Sends the template the store maps to a newly handled status, or records why not. */
    async notifyWooStatus(input: WooStatusNotice): Promise<WooNotifyOutcome> {
      const outcome = await notifyWooStatus(send, input);
      // After the notification: an automation on the status follows the store's own message.
      const trigger =
        automations && !input.confirmation ? await orderStatusInput(store, input) : null;
      if (trigger) await automations!.route([trigger]);
      return outcome;
    },

    /** Records the reminder scheduled (`at`: when due) or cancelled. */
    async recordWooReminder(input: WooReminderRecord): Promise<void> {
      await recordWooReminder({ store }, input);
    },

    /** The pending-payment reminder, from the order as its latest delivery had it. */
    async sendWooReminder(input: WooReminderNotice): Promise<WooNotifyOutcome> {
      return sendWooReminder(send, input);
    },

    /** Hands deliveries that no API process handed off to their orders' workflows. */
    async handOffAbandonedWooDeliveries(): Promise<number> {
      return handOffAbandoned(store, Context.current().client, config.temporal.taskQueue, {
        warn(meta: object, msg: string) {
          log.warn(msg, { ...meta });
        },
      });
    },
  };
}

export type WooActivities = ReturnType<typeof wooActivities>;

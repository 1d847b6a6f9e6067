import type { Client } from '@temporalio/client';
import type { WooDeliveryDoc } from '../store/contract/woocommerce';
import type { Store } from '../store';
import { limiter } from '../lib/concurrency';
import { keyedLock } from '../lib/keyed-lock';
import {
  WOO_ORDER_WORKFLOW,
  type WooDeliverySignal,
  wooDeliverySignal,
  type WooOrderWorkflow,
  wooOrderWorkflowId,
} from '../workflows/contracts/woo-order';

/** Signal-with-starts in flight at once: each is a round trip to Temporal. */
export const HANDOFF_CONCURRENCY = 16;
/** Deliveries this old and not handed off were left behind by their API process. */
const ABANDONED_AFTER_MS = 2 * 60_000;
const DELIVERIES_PER_SWEEP = 500;

export interface HandoffLogger {
  warn(obj: object, msg: string): void;
}

/** Gives one stored delivery to its order's workflow, starting the workflow if it is not running. */
export async function handOffDelivery(
  client: Client,
  taskQueue: string,
  d: Pick<WooDeliveryDoc, '_id' | 'org_id' | 'store_id' | 'order_id'>,
): Promise<void> {
  await client.workflow.signalWithStart<WooOrderWorkflow, [WooDeliverySignal]>(WOO_ORDER_WORKFLOW, {
    workflowId: wooOrderWorkflowId(d.store_id, d.order_id),
    taskQueue,
    args: [{ orgId: d.org_id, storeId: d.store_id, orderId: d.order_id }],
    signal: wooDeliverySignal,
    signalArgs: [{ delivery: d._id }],
  });
}

/**
 * Hands deliveries to their workflows and marks those that went in one write; a failed one is
 * recorded failed for the recovery sweep. Never throws. A delivery handed off twice (a crash
 * before the mark) reaches its workflow twice, which ignores the repeat.
 */
export async function handOffStored(
  store: Store,
  client: Client,
  taskQueue: string,
  deliveries: WooDeliveryDoc[],
  log: HandoffLogger,
  /** Orders the hand-offs of one order; the caller's own, so that its batches share it. */
  inOrder: ReturnType<typeof keyedLock> = keyedLock(),
): Promise<string[]> {
  const slot = limiter(HANDOFF_CONCURRENCY);
  const handOff = async (d: WooDeliveryDoc) => {
    try {
      await handOffDelivery(client, taskQueue, d);
      return d._id;
    } catch (err) {
      log.warn({ delivery: d._id, err }, 'WooCommerce hand-off failed; the recovery sweep retries');
      await store.wooDeliveries.markFailed(d._id, (err as Error).message).catch(() => undefined);
      return null;
    }
  };
  // An order's deliveries reach its workflow in the order they arrived, across hand-off batches
  // running at once too: the workflow never moves an order backwards, so a later status handed
  // off first would hide an earlier one (processing, then completed, within a second).
  const done = await Promise.all(
    deliveries.map((d) => inOrder(`${d.store_id}:${d.order_id}`, () => slot(() => handOff(d)))),
  );
  const ids = done.filter((id): id is string => id !== null);
  await store.wooDeliveries
    .markHandedOff(ids)
    .catch((err: unknown) => log.warn({ err, count: ids.length }, 'marking hand-offs failed'));
  return ids;
}

/** Hands deliveries that no API process handed off to their orders' workflows; returns how many. */
export async function handOffAbandoned(
  store: Store,
  client: Client,
  taskQueue: string,
  log: HandoffLogger,
): Promise<number> {
  const pending = await store.wooDeliveries.pending(ABANDONED_AFTER_MS, DELIVERIES_PER_SWEEP);
  if (!pending.length) return 0;
  return (await handOffStored(store, client, taskQueue, pending, log)).length;
}

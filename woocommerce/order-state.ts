import type { WooOrderDoc } from '../store/contract/woocommerce';
import type { WooOrderState } from '../workflows/contracts/woo-order';
import { freshWooOrderState, rankOf } from '../workflows/contracts/woo-order-statuses';

const HANDLED = new Set(['queued', 'skipped', 'unmapped']);

/** A new workflow run's state, from what earlier runs recorded on the order. */
export function stateFromOrder(doc: WooOrderDoc | null, maxMessages: number): WooOrderState {
  const state = freshWooOrderState(maxMessages);
  for (const e of doc?.events ?? []) {
    if (e.outcome === 'queued') state.sent++;
    if (e.kind === 'reminder') {
      const dueAt = state.reminder?.dueAt ?? e.at.getTime();
      if (e.outcome === 'scheduled') state.reminder = { state: 'scheduled', dueAt };
      else if (e.outcome === 'queued') state.reminder = { state: 'sent', dueAt };
      else if (e.outcome === 'skipped') state.reminder = { state: 'skipped', dueAt };
      else if (e.outcome === 'cancelled') state.reminder = { state: 'cancelled', dueAt };
      continue;
    }
    if (e.raw_status && !state.seenRaw.includes(e.raw_status)) state.seenRaw.push(e.raw_status);
    if (e.status && HANDLED.has(e.outcome)) {
      state.handled.push(e.status);
      state.rank = Math.max(state.rank, rankOf(e.status) ?? state.rank);
      state.lastDelivery = e.delivery_id;
    }
  }
  return state;
}

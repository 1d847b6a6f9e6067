import type { WooOrderState } from './woo-order';

/**
 * How order statuses move: pending / on-hold (awaiting payment) → processing → shipped →
 * completed (delivered); cancelled, refunded and failed end an order. Pure, so the order
 * workflow can use it.
 */
const RANKS: Record<string, number> = {
  pending: 0,
  'on-hold': 0,
  processing: 1,
  shipped: 2,
  completed: 3,
  delivered: 3,
  cancelled: 4,
  refunded: 4,
  failed: 4,
};

export const TERMINAL_RANK = 4;
/** The status whose template is the order confirmation (the reference's Order Created). */
export const CONFIRMATION_STATUS = 'processing';
export const UNPAID_STATUSES = new Set(['pending', 'on-hold']);

/** Unknown (custom) statuses have no place in the order: they never move it. */
export const rankOf = (status: string): number | null => RANKS[status] ?? null;

/**
 * The status a delivery is handled as: a completed order with tracking that was never shipped
 * is the shipping update (stores that complete an order when they ship it).
 */
export function effectiveStatus(raw: string, tracking: boolean, shippedSeen: boolean): string {
  return raw === 'completed' && tracking && !shippedSeen ? 'shipped' : raw;
}

export interface StatusState {
  /** WooCommerce statuses already received. */
  seenRaw: string[];
  /** Statuses handled (sent, skipped or unmapped): none is handled twice. */
  handled: string[];
  /** The furthest rank handled; -1 before any. */
  rank: number;
}

export type StatusDecision =
  | { kind: 'handle'; status: string }
  /** The same WooCommerce status again (any other edit of the order): nothing to record. */
  | { kind: 'repeat'; status: string }
  | { kind: 'ignore'; status: string; reason: string };

/** What a new delivery's status means for the order, and the state after it. */
export function decideStatus(
  state: StatusState,
  raw: string,
  tracking: boolean,
): { decision: StatusDecision; next: StatusState } {
  const status = effectiveStatus(raw, tracking, state.handled.includes('shipped'));
  const seenRaw = state.seenRaw.includes(raw) ? state.seenRaw : [...state.seenRaw, raw];
  const ignore = (reason: string) => ({
    decision: { kind: 'ignore' as const, status, reason },
    next: { ...state, seenRaw },
  });
  if (state.seenRaw.includes(raw)) return { decision: { kind: 'repeat', status }, next: state };
  if (state.handled.includes(status)) return ignore(`Status ${status} was already handled`);
  if (state.rank >= TERMINAL_RANK) return ignore(`The order has already ended`);
  const rank = rankOf(status);
  if (rank !== null && rank < state.rank) {
    return ignore(`Out of order: the order is already past ${status}`);
  }
  return {
    decision: { kind: 'handle', status },
    next: {
      seenRaw,
      handled: [...state.handled, status],
      rank: rank === null ? state.rank : Math.max(rank, state.rank),
    },
  };
}

/**
 * Whether an order's first delivery sends the order confirmation ahead of its own status: the
 * order was created paid without being processing (paid and on hold, completed at once). An
 * order created unpaid is confirmed when it becomes processing, as its own status; either way
 * once, as `processing` is then handled.
 */
export function confirmationDue(state: StatusState, raw: string, paid: boolean): boolean {
  if (!paid || raw === CONFIRMATION_STATUS) return false;
  if (state.seenRaw.length > 0 || state.handled.length > 0) return false;
  const rank = rankOf(raw);
  return rank === null || rank < TERMINAL_RANK;
}

/** The state once the confirmation is handled: `processing` never sends again. */
export function confirmed(state: StatusState): StatusState {
  return {
    seenRaw: state.seenRaw,
    handled: [...state.handled, CONFIRMATION_STATUS],
    rank: Math.max(state.rank, RANKS[CONFIRMATION_STATUS]!),
  };
}

/** An order no delivery has reached yet. */
export function freshWooOrderState(maxMessages: number): WooOrderState {
  return {
    seenRaw: [],
    handled: [],
    rank: -1,
    sent: 0,
    maxMessages,
    reminder: null,
    lastDelivery: null,
    deliveries: [],
  };
}

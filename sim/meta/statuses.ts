import { reengagementError, type statusError } from './errors';
import { conversationId, isUserId } from './ids';
import type { PhoneNumber, SimState } from './state';
import type { MessageStatus } from './types';
import type { WebhookDispatcher } from './webhooks';

export interface AcceptedMessage {
  wamid: string;
  number: PhoneNumber;
  waId: string;
  /** The user's BSUID when the simulator knows it: statuses name the user by it too. */
  userId: string | null;
  /** Template category in lower case, or `service` for a free-form reply. */
  category: string;
  bizOpaqueCallbackData: string | null;
  /** Free-form message outside the 24 h window: Meta accepts it, then reports it failed. */
  outsideWindow: boolean;
  /** An injected error (`via: 'status'`): accepted, then reported failed with it. */
  failure?: ReturnType<typeof statusError> | null;
  /** Sent while the user's customer service window is open. */
  inWindow?: boolean;
}

/** Meta's envelope for everything posted to the `messages` field of a WABA. */
export function envelope(number: PhoneNumber, value: Record<string, unknown>) {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: number.wabaId,
        changes: [
          {
            value: {
              messaging_product: 'whatsapp',
              metadata: {
                display_phone_number: number.displayPhoneNumber,
                phone_number_id: number.id,
              },
              ...value,
            },
            field: 'messages',
          },
        ],
      },
    ],
  };
}

export function statusPayload(m: AcceptedMessage, status: MessageStatus, nowMs: number) {
  const timestamp = Math.floor(nowMs / 1000);
  const billed = status === 'sent' || status === 'delivered';
  // Replies, and utility templates, inside the customer service window are free (PMP).
  const free = m.category === 'service' || (m.inWindow === true && m.category === 'utility');
  return envelope(m.number, {
    statuses: [
      {
        id: m.wamid,
        status,
        timestamp: String(timestamp),
        // A username-only user has no number: only their user id names them.
        ...(isUserId(m.waId) ? {} : { recipient_id: m.waId }),
        ...(m.userId ? { recipient_user_id: m.userId } : {}),
        ...(m.bizOpaqueCallbackData === null
          ? {}
          : { biz_opaque_callback_data: m.bizOpaqueCallbackData }),
        ...(billed && !m.failure
          ? {
              conversation: {
                id: conversationId(`${m.number.id}:${m.waId}:${m.category}`),
                ...(status === 'sent'
                  ? { expiration_timestamp: String(timestamp + 24 * 60 * 60) }
                  : {}),
                origin: { type: m.category },
              },
              pricing: {
                billable: !free,
                pricing_model: 'PMP',
                type: free ? 'free_customer_service' : 'regular',
                category: m.category,
              },
            }
          : {}),
        ...(status === 'failed' ? { errors: [m.failure ?? reengagementError()] } : {}),
      },
    ],
  });
}

/** The statuses a message will get, in the order they will be posted. */
export function statusPlan(m: AcceptedMessage, state: SimState, random = Math.random) {
  const o = state.options.statusWebhooks;
  if (m.outsideWindow || m.failure) return ['failed'] as MessageStatus[];
  const plan: MessageStatus[] = ['sent'];
  if (random() < o.deliveredRate) {
    plan.push('delivered');
    if (random() < o.readRate) plan.push('read');
  }
  // Out of order: what follows `sent` arrives before it.
  if (plan.length > 1 && random() < o.reorderRate) plan.push(plan.shift() as MessageStatus);
  return plan;
}

/** Posts the message's status webhooks one after another, `delayMs` apart. */
export function scheduleStatuses(
  dispatcher: WebhookDispatcher,
  state: SimState,
  m: AcceptedMessage,
) {
  const o = state.options.statusWebhooks;
  if (!o.enabled) return;
  const plan = statusPlan(m, state);
  dispatcher.track(async () => {
    for (const status of plan) {
      await dispatcher.wait(o.delayMs);
      if (dispatcher.closed) return;
      const payload = statusPayload(m, status, state.now());
      const copies = Math.random() < o.duplicateRate ? 2 : 1;
      for (let i = 0; i < copies && !dispatcher.closed; i++) {
        await dispatcher.post('status', m.wamid, status, payload);
      }
    }
  });
}

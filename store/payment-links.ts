import type { NewPaymentEvent, NewPaymentLink } from './contract/payments';
import type { PaymentEventDoc, PaymentLinkDoc } from './documents';

/** After this many failed processing attempts a payment event stays parked, with its error. */
export const MAX_PAYMENT_EVENT_ATTEMPTS = 10;

/**
 * A Razorpay event's dedup key, from what its signature covers: the organization, the event's
 * type and what it is about (the link's id for `payment_link.*`, the payment's for `payment.*`;
 * the raw body's hash when it has none).
 * Stored keys of the older form (`razorpay:<X-Razorpay-Event-Id>`) are re-keyed so: migration
 * 0011, store/mongo/upgrades.ts.
 */
export const razorpayEventKey = (orgId: string, type: string, subject: string) =>
  `razorpay:${orgId}:${type}:${subject}`;

export function newPaymentLinkDoc(link: NewPaymentLink, at: Date): PaymentLinkDoc {
  return {
    ...link,
    gateway_link_id: null,
    url: null,
    reminders_sent: 0,
    status: 'created',
    status_history: [{ status: 'created', at, detail: null }],
    payment_id: null,
    paid_at: null,
    paid_after_close: false,
    error: null,
    link_message_id: null,
    receipt_message_id: null,
    created_at: at,
    updated_at: at,
  };
}

export function newPaymentEventDocs(events: NewPaymentEvent[], at: Date): PaymentEventDoc[] {
  return events.map((e) => ({
    ...e,
    received_at: at,
    processed_at: null,
    attempts: 0,
    last_error: null,
  }));
}

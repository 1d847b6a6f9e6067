import type Stripe from 'stripe';
import { sha256Hex } from '../lib/crypto';
import type { NewPaymentEvent } from '../store/contract/payments';
import type { PaymentEventKind } from '../store/documents';
import { razorpayEventKey } from '../store/payment-links';
import { LINK_ID_KEY } from './gateways/types';

/** What a verified gateway webhook says about a link, or null for events Waflow ignores. */
export type ParsedPaymentEvent = Omit<NewPaymentEvent, 'org_id'>;

const str = (v: unknown): string | null => (typeof v === 'string' && v ? v : null);

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' ? (v as Obj) : {});

/**
 * Stripe: `checkout.session.completed` (paid) and `payment_intent.payment_failed`. Stored once
 * per event id, which the signature covers and Stripe makes unique across its accounts.
 */
export function parseStripeEvent(event: Stripe.Event): ParsedPaymentEvent | null {
  const o = obj(event.data?.object);
  const metadata = obj(o.metadata);
  const base = { _id: `stripe:${event.id}`, gateway: 'stripe' as const, type: event.type };
  switch (event.type) {
    case 'checkout.session.completed':
    case 'checkout.session.async_payment_succeeded': {
      // A delayed payment method completes the session unpaid; its success comes later.
      if (o.payment_status === 'unpaid') return null;
      return {
        ...base,
        kind: 'paid',
        link_id: str(metadata[LINK_ID_KEY]),
        gateway_link_id: str(o.payment_link),
        payment_id: str(o.payment_intent) ?? str(o.id),
        reason: null,
      };
    }
    case 'payment_intent.payment_failed': {
      const error = obj(o.last_payment_error);
      return {
        ...base,
        kind: 'failed',
        link_id: str(metadata[LINK_ID_KEY]),
        gateway_link_id: null,
        payment_id: str(o.id),
        reason: str(error.message) ?? str(error.code),
      };
    }
    default:
      return null;
  }
}

const RAZORPAY_KINDS: Record<string, PaymentEventKind> = {
  'payment_link.paid': 'paid',
  'payment_link.expired': 'expired',
  'payment_link.cancelled': 'cancelled',
  'payment.failed': 'failed',
};

/**
 * Razorpay: `payment_link.paid|expired|cancelled` and `payment.failed`. Stored once per
 * organization, type and what the event is about (the link, or the payment): its event id comes
 * only in the `X-Razorpay-Event-Id` header, which the signature does not cover.
 */
export function parseRazorpayEvent(
  orgId: string,
  body: Obj,
  raw: Buffer,
): ParsedPaymentEvent | null {
  const type = str(body.event);
  const kind = type ? RAZORPAY_KINDS[type] : undefined;
  if (!type || !kind) return null;
  const payload = obj(body.payload);
  const link = obj(obj(payload.payment_link).entity);
  const payment = obj(obj(payload.payment).entity);
  const notes = { ...obj(payment.notes), ...obj(link.notes) };
  const gatewayLinkId = str(link.id) ?? str(payment.payment_link_id);
  const paymentId = str(payment.id);
  const about = type.startsWith('payment_link.') ? gatewayLinkId : paymentId;
  const subject = about ?? sha256Hex(raw.toString('utf8'));
  return {
    _id: razorpayEventKey(orgId, type, subject),
    gateway: 'razorpay',
    type,
    kind,
    link_id: str(notes[LINK_ID_KEY]) ?? str(link.reference_id),
    gateway_link_id: gatewayLinkId,
    payment_id: paymentId,
    reason: kind === 'failed' ? (str(payment.error_description) ?? str(payment.error_code)) : null,
  };
}

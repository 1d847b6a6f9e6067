import { createHmac } from 'node:crypto';
import { razorpayId } from './ids';
import type { RazorpayAccount, RazorpayLink, RazorpayWebhookLogEntry } from './types';

export type RazorpayEventType =
  'payment_link.paid' | 'payment_link.expired' | 'payment_link.cancelled' | 'payment.failed';

export const signRazorpayBody = (body: string, secret: string) =>
  createHmac('sha256', secret).update(body).digest('hex');

function paymentEntity(
  link: RazorpayLink,
  paymentId: string,
  failed: boolean,
  method: string,
  atS: number,
) {
  return {
    id: paymentId,
    entity: 'payment',
    amount: link.amount,
    currency: link.currency,
    status: failed ? 'failed' : 'captured',
    order_id: link.order_id || null,
    invoice_id: null,
    international: false,
    method,
    amount_refunded: 0,
    refund_status: null,
    captured: !failed,
    description: link.description,
    card_id: null,
    bank: null,
    wallet: null,
    vpa: method === 'upi' ? 'customer@okbank' : null,
    email: link.customer.email ?? '',
    contact: link.customer.contact ?? '',
    notes: link.notes,
    fee: failed ? null : Math.round(link.amount * 0.02),
    tax: failed ? null : Math.round(link.amount * 0.0036),
    error_code: failed ? 'BAD_REQUEST_ERROR' : null,
    error_description: failed ? 'Payment failed because the bank declined it.' : null,
    error_source: failed ? 'bank' : null,
    error_step: failed ? 'payment_authorization' : null,
    error_reason: failed ? 'payment_declined' : null,
    created_at: atS,
  };
}

/** The event body Razorpay posts, as its webhook docs show it. */
export function razorpayEvent(
  type: RazorpayEventType,
  accountId: string,
  link: RazorpayLink,
  atS: number,
  payment?: { id: string; method: string },
) {
  const payload: Record<string, unknown> = {};
  const contains: string[] = [];
  if (type !== 'payment.failed') {
    payload.payment_link = { entity: link };
    contains.push('payment_link');
  }
  if (type === 'payment_link.paid') {
    payload.order = {
      entity: {
        id: link.order_id,
        entity: 'order',
        amount: link.amount,
        amount_paid: link.amount,
        amount_due: 0,
        currency: link.currency,
        receipt: link.reference_id || null,
        status: 'paid',
        notes: link.notes,
        created_at: link.created_at,
      },
    };
    contains.push('order');
  }
  if (payment) {
    payload.payment = {
      entity: paymentEntity(link, payment.id, type === 'payment.failed', payment.method, atS),
    };
    contains.push('payment');
  }
  return {
    entity: 'event',
    account_id: accountId,
    event: type,
    contains,
    payload,
    created_at: atS,
  };
}

/** Posts a signed event; records the attempt. Razorpay's headers and signature. */
export async function postRazorpayEvent(
  account: RazorpayAccount,
  url: string,
  event: object & { event: string },
  log: RazorpayWebhookLogEntry[],
): Promise<RazorpayWebhookLogEntry> {
  const body = JSON.stringify(event);
  const eventId = razorpayId('E').replace('E_', 'E');
  const entry: RazorpayWebhookLogEntry = {
    event_id: eventId,
    event: event.event,
    url,
    status: null,
    error: null,
  };
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-razorpay-signature': signRazorpayBody(body, account.webhook_secret),
        'x-razorpay-event-id': eventId,
        'user-agent': 'Razorpay-Webhook/v1',
      },
      body,
      signal: AbortSignal.timeout(5_000),
    });
    entry.status = res.status;
    await res.arrayBuffer();
  } catch (err) {
    entry.error = (err as Error).message;
  }
  log.push(entry);
  return entry;
}

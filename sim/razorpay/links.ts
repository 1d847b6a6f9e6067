import { badRequest, notFound } from './errors';
import { razorpayId } from './ids';
import type { RazorpayLink } from './types';

const CURRENCIES = new Set(['INR', 'USD', 'EUR', 'GBP', 'AED', 'SGD']);
const MIN_AMOUNT = 100;
const MIN_EXPIRY_SECONDS = 15 * 60;

type Body = Record<string, unknown>;

const seconds = (ms: number) => Math.floor(ms / 1000);

/** The validations Razorpay's Create Payment Link API applies, with its error texts. */
function validate(body: Body, nowS: number) {
  const { amount, currency = 'INR', description, expire_by, reference_id } = body;
  if (typeof amount !== 'number' || !Number.isInteger(amount)) {
    throw badRequest('The amount must be an integer.', 'amount');
  }
  if (amount < MIN_AMOUNT) {
    throw badRequest(`The amount must be atleast INR 1.00.`, 'amount');
  }
  if (typeof currency !== 'string' || !CURRENCIES.has(currency)) {
    throw badRequest('The selected currency is invalid.', 'currency');
  }
  if (description !== undefined && (typeof description !== 'string' || description.length > 2048)) {
    throw badRequest('The description may not be greater than 2048 characters.', 'description');
  }
  if (expire_by !== undefined) {
    if (typeof expire_by !== 'number' || !Number.isInteger(expire_by)) {
      throw badRequest('The expire by must be an integer.', 'expire_by');
    }
    if (expire_by < nowS + MIN_EXPIRY_SECONDS) {
      throw badRequest('expire_by should be at least 15 minutes after current time', 'expire_by');
    }
  }
  if (
    reference_id !== undefined &&
    (typeof reference_id !== 'string' || reference_id.length > 40)
  ) {
    throw badRequest('The reference id may not be greater than 40 characters.', 'reference_id');
  }
}

/** One account's payment links, as Razorpay keeps them. */
export class LinkBook {
  private readonly links = new Map<string, RazorpayLink>();
  private readonly byReference = new Map<string, string>();

  constructor(private readonly now: () => number) {}

  create(body: Body): RazorpayLink {
    const nowS = seconds(this.now());
    validate(body, nowS);
    const reference = typeof body.reference_id === 'string' ? body.reference_id : '';
    if (reference && this.byReference.has(reference)) {
      throw badRequest(
        `payment link with given reference_id ${reference} already exists`,
        'reference_id',
      );
    }
    const id = razorpayId('plink');
    const notify = (body.notify ?? {}) as { sms?: boolean; email?: boolean };
    const link: RazorpayLink = {
      id,
      accept_partial: body.accept_partial === true,
      amount: body.amount as number,
      amount_paid: 0,
      callback_method: typeof body.callback_method === 'string' ? body.callback_method : '',
      callback_url: typeof body.callback_url === 'string' ? body.callback_url : '',
      cancelled_at: 0,
      created_at: nowS,
      currency: (body.currency as string | undefined) ?? 'INR',
      customer: body.customer ?? {},
      description: (body.description as string | undefined) ?? '',
      expire_by: (body.expire_by as number | undefined) ?? 0,
      expired_at: 0,
      first_min_partial_amount: 0,
      notes: (body.notes ?? []) as RazorpayLink['notes'],
      notify: { sms: notify.sms !== false, email: notify.email !== false },
      order_id: '',
      payments: null,
      reference_id: reference,
      reminder_enable: body.reminder_enable !== false,
      reminders: [],
      short_url: `https://rzp.io/i/${id.slice(6, 15)}`,
      status: 'created',
      updated_at: nowS,
      upi_link: body.upi_link === true,
      user_id: '',
    };
    this.links.set(id, link);
    if (reference) this.byReference.set(reference, id);
    return link;
  }

  get(id: string): RazorpayLink {
    const link = this.links.get(id);
    if (!link) throw notFound();
    return link;
  }

  list(filter: { reference_id?: string; payment_id?: string }): RazorpayLink[] {
    if (filter.reference_id) {
      const id = this.byReference.get(filter.reference_id);
      return id ? [this.links.get(id)!] : [];
    }
    return [...this.links.values()].sort((a, b) => b.created_at - a.created_at);
  }

  cancel(id: string): RazorpayLink {
    const link = this.get(id);
    if (link.status !== 'created' && link.status !== 'partially_paid') {
      throw badRequest(`Payment Link cannot be cancelled as it is already ${link.status}`);
    }
    link.status = 'cancelled';
    link.cancelled_at = link.updated_at = seconds(this.now());
    return link;
  }

  /** A customer paid in full: the link is paid, with its order and payment. */
  pay(id: string, method: string): { link: RazorpayLink; paymentId: string } {
    const link = this.get(id);
    if (link.status !== 'created' && link.status !== 'partially_paid') {
      throw badRequest(`Payment Link is ${link.status}`);
    }
    const paymentId = razorpayId('pay');
    link.order_id ||= razorpayId('order');
    link.status = 'paid';
    link.amount_paid = link.amount;
    link.payments = [
      ...(link.payments ?? []),
      { payment_id: paymentId, amount: link.amount, status: 'captured', method },
    ];
    link.updated_at = seconds(this.now());
    return { link, paymentId };
  }

  /** An attempt failed: the link stays payable. */
  failAttempt(id: string): { link: RazorpayLink; paymentId: string } {
    const link = this.get(id);
    link.order_id ||= razorpayId('order');
    return { link, paymentId: razorpayId('pay') };
  }

  /** Links past their expire_by become expired; returns them. */
  expireDue(): RazorpayLink[] {
    const nowS = seconds(this.now());
    const expired: RazorpayLink[] = [];
    for (const link of this.links.values()) {
      if (link.status === 'created' && link.expire_by && link.expire_by <= nowS) {
        link.status = 'expired';
        link.expired_at = link.updated_at = nowS;
        expired.push(link);
      }
    }
    return expired;
  }
}

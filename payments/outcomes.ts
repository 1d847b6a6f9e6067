import { idFrom } from '../lib/ids';
import type { Store } from '../store';
import type { PaymentLinkStatus, PaymentLinkDoc } from '../store/documents';
import { eventDoc } from '../store/events';
import type { Signals } from '../store/signals';
import { resolveTemplate } from '../templates/resolve';
import {
  PAYMENT_TEMPLATE_LANGUAGE,
  PAYMENT_TEMPLATES,
  paymentMessage,
  type PaymentMessageKind,
} from './messages';

/** What `payment_link.*` events carry about the link. */
export function paymentLinkEventData(link: PaymentLinkDoc): Record<string, unknown> {
  return {
    id: link._id,
    status: link.status,
    amount: link.amount,
    currency: link.currency,
    description: link.description,
    gateway: link.gateway,
    gateway_link_id: link.gateway_link_id,
    url: link.url,
    reference_id: link.reference_id,
    contact_id: link.contact_id,
    phone_number: link.phone_number,
    expires_at: link.expires_at.toISOString(),
    payment_id: link.payment_id,
    paid_at: link.paid_at?.toISOString() ?? null,
    paid_after_close: link.paid_after_close,
  };
}

/** One message per link and kind (and reminder number), whatever retries happen. */
export const paymentMessageId = (linkId: string, kind: PaymentMessageKind, n = 1) =>
  idFrom(`payment:${linkId}:${kind}:${n}`);

const OPEN: PaymentLinkStatus[] = ['created', 'failed'];
const CLOSED: PaymentLinkStatus[] = ['expired', 'cancelled'];

/**
 * The changes a payment link goes through, each idempotent: its status (forward only; a
 * payment wins over everything), its `payment_link.*` event and its WhatsApp messages. Used
 * by the link's workflow, and directly for a payment reported once the workflow has ended.
 */
export function paymentOutcomes({ store, signals }: { store: Store; signals: Signals }) {
  async function record(link: PaymentLinkDoc, type: string, key: string, at: Date, extra = {}) {
    await store.events.recordMany([
      eventDoc(link.org_id, {
        id: `${type}:${key}`,
        type,
        timestamp: at,
        data: { ...paymentLinkEventData(link), ...extra },
      }),
    ]);
  }

  async function send(link: PaymentLinkDoc, kind: PaymentMessageKind, n = 1): Promise<string> {
    const contact = await store.contacts.get(link.org_id, link.contact_id);
    const { type, content } = paymentMessage(kind, link, contact);
    if (type === 'template') {
      const r = await resolveTemplate(
        store,
        link.org_id,
        link.account_id,
        PAYMENT_TEMPLATES[kind],
        PAYMENT_TEMPLATE_LANGUAGE,
      );
      // Unresolved, it goes as it is: Meta's refusal fails the message visibly.
      if ('template' in r) content.language = { code: r.template.language };
    }
    const id = paymentMessageId(link._id, kind, n);
    await store.sendQueue.enqueue(
      [
        {
          _id: id,
          org_id: link.org_id,
          account_id: link.account_id,
          contact_id: link.contact_id,
          direction: 'outbound',
          phone_number: link.phone_number,
          user_id: contact?.user_id ?? null,
          type,
          content,
          origin: 'payment_link',
          origin_id: link._id,
          request_hash: null,
          wamid: null,
          status: 'queued',
        },
      ],
      'transactional',
    );
    await signals.publish('send_queued', link.account_id).catch(() => undefined);
    return id;
  }

  return {
    send,
    record,

    /**
     * Paid: recorded whatever the link's status (the gateway is the truth), flagged when the
     * link had expired or been cancelled; then the receipt and `payment_link.paid`. Null when
     * it was paid already.
     */
    async paid(
      linkId: string,
      payment: { paymentId: string | null; at: Date },
    ): Promise<PaymentLinkDoc | null> {
      const before = await store.paymentLinks.byId(linkId);
      if (!before || before.status === 'paid') return null;
      const late = CLOSED.includes(before.status);
      const link = await store.paymentLinks.transition(
        linkId,
        [...OPEN, ...CLOSED],
        'paid',
        payment.at,
        late ? `paid after the link was ${before.status}` : null,
        { payment_id: payment.paymentId, paid_at: payment.at, paid_after_close: late },
      );
      if (!link) return null;
      await record(link, 'payment_link.paid', linkId, payment.at);
      await store.paymentLinks.setMessage(linkId, 'receipt', await send(link, 'receipt'));
      return link;
    },

    /** A failed attempt: the link stays payable until it expires. */
    async failed(
      linkId: string,
      attempt: { paymentId: string | null; reason: string | null; at: Date; eventId: string },
    ): Promise<PaymentLinkDoc | null> {
      const link = await store.paymentLinks.transition(
        linkId,
        OPEN,
        'failed',
        attempt.at,
        attempt.reason,
        { payment_id: attempt.paymentId },
      );
      if (link) {
        await record(link, 'payment_link.failed', attempt.eventId, attempt.at, {
          reason: attempt.reason,
        });
      }
      return link;
    },

    /** Expired or cancelled while unpaid, with `payment_link.expired` (its reason says which). */
    async closed(
      linkId: string,
      to: 'expired' | 'cancelled',
      detail: string | null,
      at = new Date(),
    ): Promise<PaymentLinkDoc | null> {
      const link = await store.paymentLinks.transition(linkId, OPEN, to, at, detail);
      if (link) {
        await record(link, 'payment_link.expired', linkId, at, {
          reason: to === 'cancelled' ? 'cancelled' : 'expired',
        });
      }
      return link;
    },
  };
}

export type PaymentOutcomes = ReturnType<typeof paymentOutcomes>;

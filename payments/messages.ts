import type { MetaContent } from '../meta/messages';
import { windowOpen } from '../meta/window';
import type { ContactDoc, PaymentLinkDoc } from '../store/documents';
import { formatAmount } from './currencies';

export type PaymentMessageKind = 'link' | 'reminder' | 'receipt';

/**
 * The approved templates used outside the customer's 24 h window (language `en`, or the
 * account's one approved variant of it: see `resolveTemplate`); inside it
 * the same words go as text. Their body parameters, in order, are listed beside them.
 */
export const PAYMENT_TEMPLATE_LANGUAGE = 'en';

export const PAYMENT_TEMPLATES: Record<PaymentMessageKind, string> = {
  /** name, amount, description, URL */
  link: 'payment_link',
  /** name, amount, URL */
  reminder: 'payment_reminder',
  /** name, amount, description, payment id */
  receipt: 'payment_receipt',
};

const NAME_FALLBACK = 'there';

function parameters(kind: PaymentMessageKind, link: PaymentLinkDoc, name: string): string[] {
  const amount = formatAmount(link.amount, link.currency);
  switch (kind) {
    case 'link':
      return [name, amount, link.description, link.url ?? ''];
    case 'reminder':
      return [name, amount, link.url ?? ''];
    case 'receipt':
      return [name, amount, link.description, link.payment_id ?? ''];
  }
}

function text(kind: PaymentMessageKind, p: string[]): string {
  switch (kind) {
    case 'link':
      return `Hi ${p[0]}, here is your payment link for ${p[2]} (${p[1]}): ${p[3]}`;
    case 'reminder':
      return `Hi ${p[0]}, a payment of ${p[1]} is due. Pay here: ${p[2]}`;
    case 'receipt':
      return `Hi ${p[0]}, we received your payment of ${p[1]} for ${p[2]}. Payment ID: ${p[3]}`;
  }
}

/** Free-form text while the customer's window is open, the approved template otherwise. */
export function paymentMessage(
  kind: PaymentMessageKind,
  link: PaymentLinkDoc,
  contact: ContactDoc | null,
  now = new Date(),
): MetaContent {
  const p = parameters(kind, link, contact?.name?.trim() || NAME_FALLBACK);
  if (contact && windowOpen(contact.last_inbound_at, now)) {
    return { type: 'text', content: { body: text(kind, p), preview_url: true } };
  }
  return {
    type: 'template',
    content: {
      name: PAYMENT_TEMPLATES[kind],
      language: { code: PAYMENT_TEMPLATE_LANGUAGE },
      components: [{ type: 'body', parameters: p.map((t) => ({ type: 'text', text: t })) }],
    },
  };
}

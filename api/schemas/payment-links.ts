import { z } from 'zod';
import { formatAmount, MAX_AMOUNT, SUPPORTED_CURRENCIES } from '../../payments/currencies';
import type { PaymentLinkDoc } from '../../store/documents';
import {
  DEFAULT_EXPIRES_IN_MINUTES,
  LINK_EXPIRY_MINUTES,
  type CreatePaymentLinkRequest,
} from '../../payments/create-link';
import { checked, NextCursor, Timestamp } from './common';
import { DefaultCountry } from './country';
import { UserId } from './user-id';

const STATUSES = ['created', 'paid', 'failed', 'expired', 'cancelled'] as const;

export const Amount = z
  .number()
  .int('amount must be an integer number of minor units')
  .positive('amount must be positive')
  .max(MAX_AMOUNT)
  .describe("In the currency's minor unit: paise for INR, cents for USD (49900 is ₹499.00)");

export const Currency = z
  .string()
  .regex(/^[A-Za-z]{3}$/, 'must be a 3-letter ISO 4217 code')
  .transform((c) => c.toUpperCase())
  .describe(`One of ${SUPPORTED_CURRENCIES.join(', ')}`);

export const CreatePaymentLinkBody = checked<CreatePaymentLinkRequest>()(
  z
    .object({
      contact_id: z.string().min(1).max(100).optional().describe('The contact to send it to'),
      phone_number: z
        .string()
        .min(1)
        .max(32)
        .optional()
        .describe('Or their phone number (E.164, or national); a new number becomes a contact'),
      user_id: UserId.optional().describe(
        'Or their business-scoped user id (BSUID), for customers with no number',
      ),
      default_country: DefaultCountry,
      amount: Amount,
      currency: Currency,
      description: z.string().trim().min(1).max(255).describe('What the payment is for'),
      gateway: z
        .enum(['stripe', 'razorpay'])
        .optional()
        .describe('Default: Razorpay for INR, Stripe otherwise'),
      expires_in_minutes: z
        .number()
        .int()
        .min(LINK_EXPIRY_MINUTES.min)
        .max(LINK_EXPIRY_MINUTES.max)
        .default(DEFAULT_EXPIRES_IN_MINUTES)
        .describe('15 minutes to 48 hours; default 24 hours'),
      reminder_after_minutes: z
        .number()
        .int()
        .positive()
        .nullable()
        .optional()
        .describe('When the unpaid reminder goes; default half the expiry; null for none'),
      reference_id: z.string().trim().min(1).max(40).optional().describe('Your own reference'),
      whatsapp_account: z
        .string()
        .min(1)
        .max(100)
        .optional()
        .describe('Default: the default account'),
    })
    .refine(
      (b) => [b.contact_id, b.phone_number, b.user_id].filter((v) => v !== undefined).length === 1,
      { message: 'give exactly one of contact_id, phone_number or user_id', path: ['contact_id'] },
    ),
);

export const ListPaymentLinksQuery = z.object({
  status: z.enum(STATUSES).optional(),
  contact_id: z.string().min(1).max(100).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  before_time: Timestamp.optional(),
  before_id: z.string().min(1).max(100).optional(),
});

export const PaymentLinkView = z.object({
  id: z.string(),
  status: z.enum(STATUSES),
  amount: z.number().int().describe('Minor units'),
  amount_display: z.string(),
  currency: z.string(),
  description: z.string(),
  gateway: z.enum(['stripe', 'razorpay']),
  gateway_link_id: z.string().nullable(),
  url: z.string().nullable().describe('Null until the gateway has created the link'),
  reference_id: z.string().nullable(),
  contact_id: z.string(),
  phone_number: z.string().nullable().describe('Null for a customer known only by user_id'),
  whatsapp_account_id: z.string(),
  expires_at: z.string(),
  remind_at: z.string().nullable(),
  reminders_sent: z.number().int(),
  payment_id: z.string().nullable(),
  paid_at: z.string().nullable(),
  paid_after_close: z.boolean().describe('Paid after it expired or was cancelled'),
  error: z.string().nullable(),
  link_message_id: z.string().nullable(),
  receipt_message_id: z.string().nullable(),
  status_history: z.array(
    z.object({ status: z.enum(STATUSES), at: z.string(), detail: z.string().nullable() }),
  ),
  created_at: z.string(),
  updated_at: z.string(),
});

export const PaymentLinkList = z.object({
  payment_links: z.array(PaymentLinkView),
  next_cursor: NextCursor,
});

export function paymentLinkView(l: PaymentLinkDoc): z.infer<typeof PaymentLinkView> {
  return {
    id: l._id,
    status: l.status,
    amount: l.amount,
    amount_display: formatAmount(l.amount, l.currency),
    currency: l.currency,
    description: l.description,
    gateway: l.gateway,
    gateway_link_id: l.gateway_link_id,
    url: l.url,
    reference_id: l.reference_id,
    contact_id: l.contact_id,
    phone_number: l.phone_number,
    whatsapp_account_id: l.account_id,
    expires_at: l.expires_at.toISOString(),
    remind_at: l.remind_at?.toISOString() ?? null,
    reminders_sent: l.reminders_sent,
    payment_id: l.payment_id,
    paid_at: l.paid_at?.toISOString() ?? null,
    paid_after_close: l.paid_after_close,
    error: l.error,
    link_message_id: l.link_message_id,
    receipt_message_id: l.receipt_message_id,
    status_history: l.status_history.map((h) => ({
      status: h.status,
      at: h.at.toISOString(),
      detail: h.detail,
    })),
    created_at: l.created_at.toISOString(),
    updated_at: l.updated_at.toISOString(),
  };
}

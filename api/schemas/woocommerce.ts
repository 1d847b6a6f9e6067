import { z } from 'zod';
import type { WooOrderDoc, WooStoreDoc } from '../../store/contract/woocommerce';
import type { MessageDoc } from '../../store/documents';
import type { NewWooStoreRequest, WooStoreRequest } from '../../woocommerce/stores';
import { checked, Timestamp } from './common';

const Components = z
  .array(z.record(z.string(), z.unknown()))
  .max(10)
  .describe(
    'Meta template components; text parameters and links may hold placeholders such as ' +
      '{{first_name}}, {{order_number}}, {{total_with_currency}}, {{items}}, {{tracking_url}}, ' +
      '{{payment_url}}, {{meta.<key>}}, {{billing.<field>}}, with defaults after bars',
  );

export const TemplateMapping = z.object({
  name: z.string().trim().min(1).max(512).describe('Template name'),
  language: z.string().trim().min(2).max(15).default('en').describe('Template language code'),
  components: Components.default([]),
  action_id: z
    .string()
    .min(1)
    .optional()
    .describe(
      'A custom action run with the customer as `contact` and the order as `input`: the ' +
        'object it returns fills {{action.<key>}} placeholders',
    ),
});

const StatusKey = z
  .string()
  .regex(/^[a-z0-9_-]{1,40}$/, 'a WooCommerce status slug (lowercase letters, digits, - and _)');

const StatusTemplates = z
  .record(StatusKey, TemplateMapping.nullable())
  .describe(
    'Order status → template (merged over the current mapping; null sends nothing). ' +
      '`shipped` is a custom status, or a completed order with tracking.',
  );

const Reminder = z.object({
  enabled: z.boolean().optional(),
  delay_minutes: z
    .int()
    .min(1)
    .max(7 * 24 * 60)
    .optional(),
  template: TemplateMapping.optional(),
});

const OptIn = z.object({
  required: z.boolean().optional(),
  meta_key: z
    .string()
    .trim()
    .min(1)
    .max(255)
    .optional()
    .describe('Order meta field with the opt-in'),
});

const Settings = {
  whatsapp_account: z.string().min(1).max(100).nullable().optional(),
  status_templates: StatusTemplates.optional(),
  pending_reminder: Reminder.optional(),
  opt_in: OptIn.optional(),
  max_messages_per_order: z.int().min(1).max(20).optional(),
};

const Name = z.string().trim().min(1).max(200);
const SiteUrl = z.url({ protocol: /^https?$/ }).max(2048);
const Secret = z
  .string()
  .min(8)
  .max(255)
  .describe("The webhook's secret in WooCommerce; generated when not given");

export const CreateWooStoreBody = checked<NewWooStoreRequest>()(
  z.object({
    name: Name,
    site_url: SiteUrl,
    webhook_secret: Secret.optional(),
    ...Settings,
  }),
);

export const UpdateWooStoreBody = checked<WooStoreRequest>()(
  z
    .object({
      name: Name.optional(),
      site_url: SiteUrl.optional(),
      webhook_secret: Secret.optional(),
      ...Settings,
    })
    .refine((b) => Object.values(b).some((v) => v !== undefined), {
      message: 'Nothing to update',
    }),
);

const MappingView = z.object({
  name: z.string(),
  language: z.string(),
  components: z.array(z.record(z.string(), z.unknown())),
});

export const WooStoreView = z.object({
  id: z.string(),
  name: z.string(),
  site_url: z.string(),
  delivery_url: z.string().describe("Paste into the WooCommerce webhook's Delivery URL"),
  webhook_secret: z.string().optional().describe("Paste into the WooCommerce webhook's Secret"),
  whatsapp_account_id: z.string().nullable(),
  status_templates: z.record(z.string(), MappingView.nullable()),
  pending_reminder: z.object({
    enabled: z.boolean(),
    delay_minutes: z.number(),
    template: MappingView,
  }),
  opt_in: z.object({ required: z.boolean(), meta_key: z.string() }),
  max_messages_per_order: z.number(),
  created_at: Timestamp,
  updated_at: Timestamp,
});

export function wooStoreView(doc: WooStoreDoc, publicUrl: string, secret?: string) {
  return {
    id: doc._id,
    name: doc.name,
    site_url: doc.site_url,
    delivery_url: `${publicUrl.replace(/\/$/, '')}/api/webhooks/woocommerce/${doc._id}`,
    ...(secret !== undefined ? { webhook_secret: secret } : {}),
    whatsapp_account_id: doc.account_id,
    ...doc.settings,
    created_at: doc.created_at.toISOString(),
    updated_at: doc.updated_at.toISOString(),
  };
}

const OrderStatusView = z.object({
  status: z.string().nullable(),
  raw_status: z.string().nullable(),
  at: Timestamp,
});

const OrderMessageView = z.object({
  kind: z.enum(['status', 'reminder']),
  status: z.string().nullable(),
  template: z.string().nullable(),
  message_id: z.string(),
  message_status: z.string().nullable().describe('queued, sent, delivered, read or failed'),
  wamid: z.string().nullable(),
  error: z.object({ code: z.number(), message: z.string() }).nullable(),
  at: Timestamp,
});

const OrderSkipView = z.object({
  kind: z.enum(['status', 'reminder']),
  status: z.string().nullable(),
  outcome: z.string(),
  template: z.string().nullable(),
  reason: z.string().nullable(),
  at: Timestamp,
});

export const WooOrderView = z.object({
  order_id: z.string(),
  number: z.string().nullable(),
  status: z.string().nullable(),
  contact_id: z.string().nullable(),
  phone_number: z.string().nullable(),
  total: z.string().nullable(),
  currency: z.string().nullable(),
  statuses: z.array(OrderStatusView).describe('Statuses received, in the order they were'),
  messages: z.array(OrderMessageView),
  skipped: z.array(OrderSkipView).describe('What sent nothing, and why'),
  reminder: z
    .object({ state: z.string(), due_at: Timestamp, reason: z.string().nullable() })
    .nullable(),
  created_at: Timestamp,
  updated_at: Timestamp,
});

export const WooOrderList = z.object({
  orders: z.array(WooOrderView),
  next_cursor: z
    .object({ before_time: z.string(), before_id: z.string() })
    .nullable()
    .describe('Pass both as query parameters for the next page'),
});

export const WooOrdersQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  before_time: z.iso.datetime().optional(),
  before_id: z.string().max(200).optional(),
});

export const WooOrderParams = z.object({
  id: z.string().min(1).max(100),
  orderId: z.string().min(1).max(40),
});

export function wooOrderView(doc: WooOrderDoc, messages: Map<string, MessageDoc | null>) {
  const statuses = doc.events
    .filter((e) => e.kind === 'status')
    .map((e) => ({ status: e.status, raw_status: e.raw_status, at: e.at.toISOString() }));
  const sent = doc.events
    .filter((e) => e.outcome === 'queued' && e.message_id)
    .map((e) => {
      const m = messages.get(e.message_id!) ?? null;
      return {
        kind: e.kind,
        status: e.status,
        template: e.template,
        message_id: e.message_id!,
        message_status: m?.status ?? null,
        wamid: m?.wamid ?? null,
        error: m?.error ?? null,
        at: e.at.toISOString(),
      };
    });
  const skipped = doc.events
    .filter((e) => ['skipped', 'ignored', 'unmapped'].includes(e.outcome))
    .map((e) => ({
      kind: e.kind,
      status: e.status,
      outcome: e.outcome,
      template: e.template,
      reason: e.reason,
      at: e.at.toISOString(),
    }));
  const reminders = doc.events.filter((e) => e.kind === 'reminder');
  const last = reminders.at(-1);
  const due = reminders.find((e) => e.outcome === 'scheduled');
  return {
    order_id: doc.order_id,
    number: doc.number,
    status: doc.status,
    contact_id: doc.contact_id,
    phone_number: doc.phone_number,
    total: doc.total,
    currency: doc.currency,
    statuses,
    messages: sent,
    skipped,
    reminder: last
      ? {
          state: last.outcome === 'queued' ? 'sent' : last.outcome,
          due_at: (due ?? last).at.toISOString(),
          reason: last.reason,
        }
      : null,
    created_at: doc.created_at.toISOString(),
    updated_at: doc.updated_at.toISOString(),
  };
}

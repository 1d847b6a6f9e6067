import { z } from 'zod';
import type { CampaignCounts, RecipientView } from '../../store/contract/campaigns';
import type { CampaignDoc } from '../../store/documents';
import type { CampaignMessageRequest, CampaignRequest } from '../../campaigns/request';
import { checked, Id, NextCursor, Timestamp } from './common';
import { PricingView, TemplateComponent } from './messages';

const Label = z.string().trim().min(1).max(100);
const unique = <T>(values: T[]) => [...new Set(values)];

const CustomFieldValue = z.union([z.string().max(2_000), z.number(), z.boolean()]);

/** Strict: a misspelt condition must not silently widen the audience to every contact. */
export const CampaignAudienceBody = z
  .strictObject({
    tags: z.array(Label).min(1).max(100).transform(unique).optional(),
    tags_match: z
      .enum(['any', 'all'])
      .optional()
      .describe('any (default): at least one of the tags; all: every one'),
    stage: Label.optional(),
    country_codes: z
      .array(
        z
          .string()
          .trim()
          .regex(/^\+?[1-9]\d{0,3}$/, 'a country calling code, like 91 or +1')
          .transform((c) => c.replace(/^\+/, '')),
      )
      .min(1)
      .max(300)
      .transform(unique)
      .optional()
      .describe('The phone number starts with one of them'),
    custom_field: z
      .object({
        key: z.string().regex(/^[^.$][^.]{0,63}$/, 'a custom field name'),
        value: CustomFieldValue,
      })
      .optional()
      .describe('A custom field equal to this value'),
    contact_ids: z.array(Id).min(1).max(100_000).transform(unique).optional(),
  })
  .describe(
    'Every condition given must hold; {} is every contact. Opted-out contacts are always ' +
      'excluded, and a phone number counts once',
  );

const ActionId = Id.optional().describe(
  'A custom action run for each recipient with its contact: the object it returns fills ' +
    '{{action.<key>}} placeholders. A recipient whose run fails is skipped with the reason',
);

const placeholders =
  'Placeholders {{name}}, {{phone_number}}, {{email}}, {{stage}} and {{custom_fields.<key>}} ' +
  'are filled from each contact; a default may follow a bar: {{name | there}}';

export const CampaignMessageBody = checked<CampaignMessageRequest>()(
  z.discriminatedUnion('type', [
    z.object({
      type: z.literal('template'),
      template: z.object({
        name: z.string().min(1).max(512),
        language: z
          .union([z.string().min(2), z.object({ code: z.string().min(2) })])
          .optional()
          .describe('Language code, like en or en_US; defaults to the template English variant'),
        components: z.array(TemplateComponent).max(20).default([]).describe(placeholders),
      }),
      action_id: ActionId,
    }),
    z.object({
      type: z.literal('text'),
      text: z.string().min(1).max(4096).describe(placeholders),
      action_id: ActionId,
    }),
  ]),
);

const CampaignFields = z.object({
  name: z.string().trim().min(1).max(200),
  whatsapp_account: z
    .uuid()
    .optional()
    .describe('Account to send from; default account if omitted'),
  audience: CampaignAudienceBody,
  message: CampaignMessageBody,
  mode: z
    .enum(['anytime', '24h'])
    .optional()
    .describe(
      'anytime: a template, to everyone; 24h: also free-form text, only to contacts whose ' +
        '24-hour window is open (the others are skipped). Default: anytime for a template, ' +
        '24h for text',
    ),
  scheduled_at: z.iso
    .datetime({ offset: true })
    .optional()
    .describe('When to start (in the future, within a year); now if omitted'),
  throughput: z
    .number()
    .int()
    .min(1)
    .max(1_000)
    .optional()
    .describe("Messages per second, up to the number's own; the number's if omitted"),
});

export const CampaignBody = checked<CampaignRequest>()(
  CampaignFields.refine((b) => !(b.message.type === 'text' && b.mode === 'anytime'), {
    error: 'free-form text can only be sent in 24h mode; anytime needs a template',
    path: ['mode'],
  }),
);

const CampaignStatusEnum = z.enum([
  'scheduled',
  'running',
  'paused',
  'completed',
  'cancelled',
  'failed',
]);

const CountsView = z.object({
  total: z.number().int().describe('Recipients; 0 until the audience is snapshotted at start'),
  pending: z.number().int().describe('Not sent yet (waiting, or in the send queue)'),
  sent: z.number().int().describe('Sent, delivered and read ones included'),
  delivered: z.number().int().describe('Delivered, read ones included'),
  read: z.number().int(),
  failed: z.number().int(),
  deferred: z
    .number()
    .int()
    .describe("Refused under Meta's per-user marketing cap (131049): sent again a day later"),
  skipped: z.number().int().describe('Not sent: window closed (24h mode), contact deleted'),
  cancelled: z.number().int().describe('Not sent because the campaign was cancelled'),
  billable: z
    .record(z.string(), z.number().int())
    .describe("Messages Meta bills, by pricing category, from their statuses' pricing"),
});

const AudienceView = z.object({
  tags: z.array(z.string()).optional(),
  tags_match: z.enum(['any', 'all']).optional(),
  stage: z.string().optional(),
  country_codes: z.array(z.string()).optional(),
  custom_field: z.object({ key: z.string(), value: CustomFieldValue }).optional(),
  contact_ids: z.array(z.string()).optional(),
});

const MessageView = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('template'),
    template: z.object({
      name: z.string(),
      language: z.string(),
      components: z.array(z.record(z.string(), z.unknown())),
    }),
    action_id: z.string().optional(),
  }),
  z.object({ type: z.literal('text'), text: z.string(), action_id: z.string().optional() }),
]);

export const CampaignView = z.object({
  id: z.string(),
  name: z.string(),
  whatsapp_account_id: z.string(),
  status: CampaignStatusEnum,
  mode: z.enum(['anytime', '24h']),
  audience: AudienceView,
  message: MessageView,
  scheduled_at: Timestamp.nullable(),
  throughput: z.number().int().nullable(),
  counts: CountsView,
  progress: z.number().min(0).max(1).describe('Share of recipients no longer pending, 0 to 1'),
  error: z.string().nullable().describe('Why the campaign failed'),
  pause_reason: z
    .object({ code: z.enum(['manual', 'messaging_limit', 'template']), message: z.string() })
    .nullable()
    .describe('Why a paused campaign is paused; `messaging_limit` resumes by itself'),
  created_at: Timestamp,
  started_at: Timestamp.nullable(),
  completed_at: Timestamp.nullable(),
  updated_at: Timestamp,
});
export type CampaignViewData = z.infer<typeof CampaignView>;

const iso = (d: Date | null) => d?.toISOString() ?? null;

export function campaignView(doc: CampaignDoc, counts: CampaignCounts): CampaignViewData {
  const pending = counts.pending + counts.queued;
  const waiting = pending + counts.deferred;
  const progress =
    counts.total > 0 ? (counts.total - waiting) / counts.total : doc.status === 'completed' ? 1 : 0;
  return {
    id: doc._id,
    name: doc.name,
    whatsapp_account_id: doc.account_id,
    status: doc.status,
    mode: doc.mode,
    audience: doc.audience,
    message: doc.message,
    scheduled_at: iso(doc.scheduled_at),
    throughput: doc.throughput,
    counts: {
      total: counts.total,
      pending,
      sent: counts.sent,
      delivered: counts.delivered,
      read: counts.read,
      failed: counts.failed,
      deferred: counts.deferred,
      skipped: counts.skipped,
      cancelled: counts.cancelled,
      billable: counts.billable,
    },
    progress: Math.round(progress * 10_000) / 10_000,
    error: doc.error,
    pause_reason: doc.pause_reason ?? null,
    created_at: doc.created_at.toISOString(),
    started_at: iso(doc.started_at),
    completed_at: iso(doc.completed_at),
    updated_at: doc.updated_at.toISOString(),
  };
}

export const ListCampaignsQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(50).default(20),
    before_time: z.iso.datetime({ offset: true }).optional(),
    before_id: z.string().max(100).optional().describe('With before_time: the last id seen'),
  })
  .refine((q) => !q.before_time === !q.before_id, {
    error: 'before_time and before_id go together',
    path: ['before_id'],
  });

export const CampaignList = z.object({
  campaigns: z.array(CampaignView),
  next_cursor: NextCursor,
});

const RecipientStateEnum = z.enum([
  'pending',
  'queued',
  'sent',
  'delivered',
  'read',
  'failed',
  'deferred',
  'skipped',
  'cancelled',
]);

export const RecipientsQuery = z.object({
  state: RecipientStateEnum.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  after_seq: z.coerce
    .number()
    .int()
    .min(0)
    .optional()
    .describe('The last seq seen: the next page starts after it'),
});

export const RecipientItem = z.object({
  contact_id: z.string(),
  seq: z.number().int().describe('Send order'),
  phone_number: z.string().nullable().describe('Null for a customer known only by user_id'),
  state: RecipientStateEnum.describe(
    'pending, skipped or cancelled; once handed to the send queue its message status',
  ),
  message_id: z.string().nullable(),
  wamid: z.string().nullable(),
  error_code: z.number().int().nullable(),
  error_message: z.string().nullable(),
  reason: z.string().nullable().describe('Why it was skipped'),
  deferred_until: Timestamp.nullable().describe(
    "When a deferred recipient's message is sent again (Meta's marketing cap, 131049)",
  ),
  pricing: PricingView,
});

export const RecipientPage = z.object({
  recipients: z.array(RecipientItem),
  next_after_seq: z.number().int().nullable().describe('Pass as after_seq for the next page'),
});

export function recipientItem(r: RecipientView): z.infer<typeof RecipientItem> {
  return {
    contact_id: r.contact_id,
    seq: r.seq,
    phone_number: r.phone_number,
    state: r.state,
    message_id: r.message_id,
    wamid: r.wamid,
    error_code: r.error?.code ?? null,
    error_message: r.error?.message ?? null,
    reason: r.reason,
    deferred_until: iso(r.deferred_until),
    pricing: r.pricing,
  };
}

export const CampaignPreview = z.object({
  audience_size: z.number().int().describe('Contacts the audience matches now'),
  samples: z.array(
    z.object({
      contact_id: z.string(),
      phone_number: z.string().nullable().describe('Null for a customer known only by user_id'),
      window_open: z.boolean().describe('In 24h mode, only these are sent to'),
      type: z.string(),
      content: z.record(z.string(), z.unknown()).describe('The Meta message this contact gets'),
      missing: z
        .array(z.string())
        .describe(
          'Placeholders with neither a value for this contact nor a default: they render ' +
            'empty, and Meta refuses an empty template parameter',
        ),
      action: z
        .union([
          z.object({ values: z.record(z.string(), z.string()) }),
          z.object({ error: z.string() }),
        ])
        .optional()
        .describe('With an action_id: the values its run gave this contact, or why it is skipped'),
    }),
  ),
});

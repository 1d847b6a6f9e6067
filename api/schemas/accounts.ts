import { z } from 'zod';
import { IDLE, type SendActivity } from '../../accounts/read';
import { tierUsers } from '../../accounts/messaging-limit';
import type { CreateAccountRequest, UpdateAccountRequest } from '../../accounts/requests';
import type { AccountDoc } from '../../store/documents';
import { checked, Timestamp } from './common';

const MetaId = z
  .string()
  .trim()
  .regex(/^\d{1,32}$/, 'must be the numeric id Meta shows');
// Tokens travel in HTTP headers and query strings: printable ASCII, no spaces.
const Secret = z
  .string()
  .trim()
  .min(1)
  .max(4096)
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');

export const CreateAccountBody = checked<CreateAccountRequest>()(
  z.object({
    name: z.string().trim().min(1).max(100),
    phone_number_id: MetaId.describe('Phone number ID (WhatsApp Manager, API setup)'),
    waba_id: MetaId.describe('WhatsApp Business Account ID'),
    access_token: Secret.describe('Permanent (system user) access token; stored encrypted'),
    app_secret: Secret.describe("The Meta app's secret, to verify webhook signatures"),
    webhook_verify_token: Secret.optional().describe(
      "The token Meta's webhook subscription handshake sends; generated (and shown once) if absent",
    ),
    display_phone_number: z.string().trim().min(1).max(32).nullable().optional(),
    is_default: z
      .boolean()
      .optional()
      .describe("Send from this account when none is named; the organization's first account is"),
    throughput: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .optional()
      .describe(
        'Messages per second this number may send (default 80; 20 at most, and by default, with coexistence)',
      ),
    marketing_messages: z
      .boolean()
      .optional()
      .describe(
        "Onboarded to Meta's Marketing Messages API: MARKETING templates are sent through /marketing_messages",
      ),
    coexistence: z
      .boolean()
      .optional()
      .describe(
        'The number is shared with the WhatsApp Business app: Meta caps it at 20 messages/s',
      ),
  }),
);

export const UpdateAccountBody = checked<UpdateAccountRequest>()(
  CreateAccountBody.partial().refine(
    (body) => Object.values(body).some((v) => v !== undefined),
    'give at least one field to change',
  ),
);

export const AccountView = z.object({
  id: z.uuid(),
  name: z.string(),
  phone_number_id: z.string(),
  waba_id: z.string(),
  display_phone_number: z.string().nullable(),
  is_default: z.boolean(),
  throughput: z.number().int(),
  marketing_messages: z.boolean(),
  coexistence: z.boolean(),
  status: z.enum(['connected', 'disconnected']),
  status_reason: z.string().nullable().describe('Why the account is disconnected'),
  sandbox: z.boolean().describe('Talks to the built-in Meta simulator'),
  access_token_set: z.boolean(),
  app_secret_set: z.boolean(),
  webhook_verify_token_set: z.boolean(),
  queue: z
    .object({ transactional: z.number().int().min(0), bulk: z.number().int().min(0) })
    .describe('Messages waiting to be sent from this number, by class (transactional go first)'),
  send_rate: z
    .number()
    .min(0)
    .describe('Messages a second this number is sending now; 0 when idle'),
  messaging_limit: z
    .object({
      tier: z
        .string()
        .nullable()
        .describe("Meta's tier (TIER_250, TIER_2K, TIER_10K, TIER_100K, TIER_UNLIMITED)"),
      portfolio_id: z
        .string()
        .nullable()
        .describe('The Meta business portfolio owning the WABA; null until read from Graph'),
      users_per_day: z
        .number()
        .int()
        .nullable()
        .describe('Unique users a moving 24 h allows; null when unlimited or not known yet'),
      reached_24h: z
        .number()
        .int()
        .nullable()
        .describe(
          'Unique users its business portfolio reached by templates in the last 24 h; null when unlimited (not counted)',
        ),
      frees_at: Timestamp.nullable().describe('When the oldest counted message leaves the window'),
    })
    .describe("The business portfolio's messaging limit, shared by all its WABAs' numbers"),
  quality_rating: z.string().nullable().describe('GREEN, YELLOW, RED or UNKNOWN'),
  created_at: Timestamp,
  updated_at: Timestamp,
});

export const CreatedAccountView = AccountView.extend({
  webhook_verify_token: z
    .string()
    .optional()
    .describe('The generated verify token, shown only in this answer: enter it at Meta'),
});

/** Secrets never leave the store: the view only says whether each one is set. */
export function accountView(
  doc: AccountDoc,
  activity: SendActivity = IDLE,
): z.infer<typeof AccountView> {
  const limit = tierUsers(doc.messaging_limit_tier);
  return {
    id: doc._id,
    name: doc.name,
    phone_number_id: doc.phone_number_id,
    waba_id: doc.waba_id,
    display_phone_number: doc.display_phone_number,
    is_default: doc.is_default,
    throughput: doc.throughput,
    marketing_messages: doc.marketing_messages,
    coexistence: doc.coexistence,
    status: doc.status,
    status_reason: doc.status_reason,
    sandbox: doc.sandbox,
    access_token_set: doc.access_token_enc.length > 0,
    app_secret_set: doc.app_secret_enc.length > 0,
    webhook_verify_token_set: doc.verify_token_enc.length > 0,
    queue: { transactional: activity.queue.transactional, bulk: activity.queue.bulk },
    send_rate: activity.send_rate,
    messaging_limit: {
      tier: doc.messaging_limit_tier,
      portfolio_id: doc.portfolio_id,
      users_per_day: limit !== null && Number.isFinite(limit) ? limit : null,
      reached_24h: activity.messaging ? activity.messaging.used : limit === Infinity ? null : 0,
      frees_at: activity.messaging?.frees_at?.toISOString() ?? null,
    },
    quality_rating: doc.quality_rating,
    created_at: doc.created_at.toISOString(),
    updated_at: doc.updated_at.toISOString(),
  };
}

import { z } from 'zod';
import { parseDelay } from '../../lib/duration';
import { isTimezone, minutesOf, WEEKDAYS } from '../../lib/delivery-schedule';
import type { SubscriptionState } from '../../store/contract/sequences';
import type { SequenceDoc, SubscriptionDoc } from '../../store/contract/sequences';
import { CampaignMessageBody } from './campaigns';
import type { SequenceRequest, SubscribeRequest } from '../../sequences/request';
import { checked, Id, NextCursor, Timestamp } from './common';
import { DefaultCountry } from './country';
import { UserId } from './user-id';

const unique = <T>(values: T[]) => [...new Set(values)];
const Label = z.string().trim().min(1).max(100);
const Clock = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'a time of day as HH:MM (24:00 for midnight)');

const TemplateBody = CampaignMessageBody.options[0];

export const StepBody = z
  .strictObject({
    delay: z
      .string()
      .refine((d) => parseDelay(d) !== null, 'a delay like 30m, 2h or 3d (at most 365d)')
      .describe(
        'How long after the previous step (or the subscription): 30m, 2h, 3d; 0m for at once',
      ),
    after: z
      .enum(['previous', 'subscription'])
      .default('previous')
      .describe('What the delay counts from: the previous step (default) or the subscription'),
    type: z
      .enum(['24h', 'anytime'])
      .describe(
        '24h: free-form (or a template), sent only while the 24-hour window is open, else the ' +
          'fallback template or skipped; anytime: a template, sent whenever due',
      ),
    message: CampaignMessageBody,
    fallback: TemplateBody.optional().describe(
      '24h steps: the template sent instead when the window is closed',
    ),
  })
  .refine((s) => s.type !== 'anytime' || s.message.type === 'template', {
    error: 'anytime steps send a template; free-form text needs type 24h',
    path: ['message'],
  })
  .refine((s) => s.type === '24h' || !s.fallback, {
    error: 'only 24h steps have a fallback',
    path: ['fallback'],
  });

export const ScheduleBody = z
  .strictObject({
    timezone: z
      .string()
      .refine(isTimezone, 'an IANA timezone, like Asia/Kolkata')
      .describe("Used unless the contact has its own (custom field 'timezone')"),
    days: z.array(z.enum(WEEKDAYS)).min(1).max(7).transform(unique),
    start: Clock.describe('Sending allowed from (local time)'),
    end: Clock.describe('until (local time, not included)'),
  })
  .refine((s) => minutesOf(s.start) < minutesOf(s.end), {
    error: 'end must be after start',
    path: ['end'],
  });

export const SequenceBody = checked<SequenceRequest>()(
  z.strictObject({
    name: z.string().trim().min(1).max(200),
    whatsapp_account: z
      .uuid()
      .optional()
      .describe('Account to send from; default account if omitted'),
    steps: z.array(StepBody).min(1).max(50),
    schedule: ScheduleBody.nullable()
      .default(null)
      .describe('Allowed days and hours; a step due outside waits for the next allowed moment'),
    reentry: z
      .enum(['never', 'after_completion', 'always'])
      .default('never')
      .describe(
        'never: a contact runs it once; after_completion: again once its run ended; always: ' +
          'subscribing again restarts it',
      ),
    exit: z
      .strictObject({
        tags: z.array(Label).max(50).default([]).transform(unique),
        on_reply: z.boolean().default(false),
      })
      .default({ tags: [], on_reply: false })
      .describe(
        'Besides unsubscribing and opting out (always): a tag added to the contact (the goal), ' +
          'and optionally any message from it',
      ),
    keywords: z
      .array(z.string().trim().min(1).max(100))
      .max(20)
      .default([])
      .transform(unique)
      .describe('An inbound message that is exactly one of these (any case) subscribes its sender'),
  }),
);

const MessageView = z.record(z.string(), z.unknown());

export const SequenceView = z.object({
  id: z.string(),
  name: z.string(),
  whatsapp_account_id: z.string(),
  version: z.number().int().describe('+1 per edit; running subscriptions keep theirs'),
  steps: z.array(
    z.object({
      delay: z.string(),
      after: z.enum(['previous', 'subscription']),
      type: z.enum(['24h', 'anytime']),
      message: MessageView,
      fallback: MessageView.nullable(),
    }),
  ),
  schedule: z
    .object({ timezone: z.string(), days: z.array(z.string()), start: z.string(), end: z.string() })
    .nullable(),
  reentry: z.enum(['never', 'after_completion', 'always']),
  exit: z.object({ tags: z.array(z.string()), on_reply: z.boolean() }),
  keywords: z.array(z.string()),
  subscribers: z.object({
    pending: z.number().int(),
    active: z.number().int(),
    completed: z.number().int(),
    exited: z.number().int(),
  }),
  paused_reason: z
    .string()
    .nullable()
    .describe(
      'Why subscribers are held at a step: its template is PAUSED, DISABLED or REJECTED; null once it is APPROVED again',
    ),
  created_at: Timestamp,
  updated_at: Timestamp,
});

export function sequenceView(
  doc: SequenceDoc,
  counts: Record<SubscriptionState, number>,
  pausedReason: string | null = null,
): z.infer<typeof SequenceView> {
  return {
    id: doc._id,
    name: doc.name,
    whatsapp_account_id: doc.account_id,
    version: doc.version,
    steps: doc.steps.map((s) => ({
      delay: s.delay,
      after: s.after,
      type: s.type,
      message: s.message,
      fallback: s.fallback,
    })),
    schedule: doc.schedule,
    reentry: doc.reentry,
    exit: doc.exit,
    keywords: doc.keywords,
    subscribers: counts,
    paused_reason: pausedReason,
    created_at: doc.created_at.toISOString(),
    updated_at: doc.updated_at.toISOString(),
  };
}

export const ListSequencesQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(50).default(20),
    before_time: z.iso.datetime({ offset: true }).optional(),
    before_id: z.string().max(100).optional().describe('With before_time: the last id seen'),
  })
  .refine((q) => !q.before_time === !q.before_id, {
    error: 'before_time and before_id go together',
    path: ['before_id'],
  });

export const SequenceList = z.object({ sequences: z.array(SequenceView), next_cursor: NextCursor });

/** Each subscribe call takes up to this many contacts. */
export const MAX_SUBSCRIBE = 10_000;

const rowCount = (b: SubscribeRequest) =>
  (b.contact_ids?.length ?? 0) + (b.phone_numbers?.length ?? 0) + (b.user_ids?.length ?? 0);

export const SubscribeBody = checked<SubscribeRequest>()(
  z
    .strictObject({
      contact_ids: z.array(Id).max(MAX_SUBSCRIBE).optional(),
      phone_numbers: z.array(z.string().min(1).max(32)).max(MAX_SUBSCRIBE).optional(),
      user_ids: z
        .array(UserId)
        .max(MAX_SUBSCRIBE)
        .optional()
        .describe("Contacts' business-scoped user ids (BSUIDs), for customers with no number"),
      default_country: DefaultCountry,
    })
    .refine((b) => rowCount(b) > 0, {
      error: 'give contact_ids, phone_numbers or user_ids',
      path: ['contact_ids'],
    })
    .refine((b) => rowCount(b) <= MAX_SUBSCRIBE, {
      error: `at most ${MAX_SUBSCRIBE} contacts a call`,
      path: ['contact_ids'],
    }),
);

const Outcome = z.enum([
  'subscribed',
  'restarted',
  'already_subscribed',
  'opted_out',
  'contact_not_found',
  'invalid_phone_number',
]);

export const SubscribeResultView = z.object({
  subscribed: z.number().int().describe('Rows subscribed or restarted'),
  results: z.array(
    z.object({
      contact_id: z.string().nullable(),
      phone_number: z.string().nullable().describe('As given, for rows given by phone number'),
      user_id: z.string().nullable().describe('As given, for rows given by user id'),
      outcome: Outcome,
    }),
  ),
});

const StepRecordView = z.object({
  step: z.number().int(),
  at: Timestamp,
  outcome: z.enum(['queued', 'fallback', 'skipped']),
  message_id: z.string().nullable(),
  reason: z.string().nullable().describe('Why it was skipped or sent as its fallback'),
});

export const SubscriberView = z.object({
  contact_id: z.string(),
  phone_number: z.string().nullable().describe('Null for a customer known only by user_id'),
  state: z.enum(['pending', 'active', 'completed', 'exited']),
  run: z.number().int().describe('1, then +1 for each re-entry'),
  version: z.number().int().describe('The sequence version this run follows'),
  current_step: z.number().int().describe('The next step to send (0-based) = steps done'),
  next_send_at: Timestamp.nullable(),
  exit_reason: z.string().nullable(),
  source: z.enum(['api', 'keyword', 'automation']),
  steps: z.array(StepRecordView),
  subscribed_at: Timestamp,
  started_at: Timestamp.nullable(),
  ended_at: Timestamp.nullable(),
});

const iso = (d: Date | null) => d?.toISOString() ?? null;

export function subscriberView(s: SubscriptionDoc): z.infer<typeof SubscriberView> {
  return {
    contact_id: s.contact_id,
    phone_number: s.phone_number,
    state: s.state,
    run: s.run,
    version: s.version,
    current_step: s.step,
    next_send_at: iso(s.next_step_at),
    exit_reason: s.exit_reason,
    source: s.source,
    steps: s.history.map((h) => ({ ...h, at: h.at.toISOString() })),
    subscribed_at: s.subscribed_at.toISOString(),
    started_at: iso(s.started_at),
    ended_at: iso(s.ended_at),
  };
}

export const SubscribersQuery = z.object({
  state: z.enum(['pending', 'active', 'completed', 'exited']).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  after: z.string().max(100).optional().describe('The last contact_id seen: the next page'),
});

export const SubscriberPage = z.object({
  subscribers: z.array(SubscriberView),
  next_after: z.string().nullable(),
});

export const SubscriberParams = z.object({ id: Id, contactId: Id });

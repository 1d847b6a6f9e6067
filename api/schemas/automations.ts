import { z } from 'zod';
import type { AutomationRequest } from '../../automations/request';
import type { AutomationTestRequest, AutomationTestResult } from '../../automations/test-run';
import { CONDITION_FIELDS } from '../../automations/condition-check';
import { MAX_PATTERN_LENGTH } from '../../lib/linear-regex';
import {
  CONDITION_OPS,
  type AutomationDoc,
  type AutomationRunDoc,
  type RunState,
  type StepType,
} from '../../store/contract/automations';
import { CampaignMessageBody } from './campaigns';
import { checked, Id, NextCursor, Timestamp } from './common';
import { CustomFieldKey, Label } from './contacts';
import { ContactCard, Interactive, Location, Media, Sticker } from './messages';
import { DefaultCountry } from './country';
import { Amount, Currency } from './payment-links';
import { ScheduleBody } from './sequences';

const unique = <T>(values: T[]) => [...new Set(values)];

const RUN_STATES = ['running', 'waiting', 'completed', 'failed', 'cancelled'] as const;

const StepId = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'a step id: 1 to 64 letters, digits, _ . or -')
  .describe('Unique within the automation; what next and branches name');

const Target = StepId.nullable().describe('A step id, or null to end the run');

const Duration = z.string().max(16).describe('As written: 30s, 10m, 2h, 3d (at most 365d)');

const Text = z.string().trim().min(1).max(100);

const Pattern = z
  .string()
  .min(1)
  .max(MAX_PATTERN_LENGTH)
  .describe(
    "A regular expression run on V8's linear-time engine: no backreferences, lookaheads or " +
      'counted repetitions over 16',
  );

const IgnoreCase = z
  .boolean()
  .default(true)
  .describe('The text is lower-cased before matching: write the pattern in lower case');

const Trigger = z
  .discriminatedUnion('type', [
    z.strictObject({
      type: z.literal('keyword'),
      keywords: z
        .array(Text)
        .min(1)
        .max(50)
        .transform(unique)
        .describe('The whole text is one of them (any case, spaces squeezed)'),
    }),
    z.strictObject({ type: z.literal('pattern'), pattern: Pattern, ignore_case: IgnoreCase }),
    z.strictObject({ type: z.literal('any_message') }),
    z.strictObject({
      type: z.literal('button'),
      payloads: z
        .array(z.string().min(1).max(256))
        .max(50)
        .default([])
        .describe("A template quick-reply's payload or a reply button's id; [] for any"),
    }),
    z.strictObject({
      type: z.literal('list_reply'),
      ids: z.array(z.string().min(1).max(200)).max(50).default([]).describe('Row ids; [] for any'),
    }),
    z.strictObject({ type: z.literal('contact_created') }),
    z.strictObject({ type: z.literal('tag_added'), tag: Label }),
    z.strictObject({
      type: z.literal('order_status'),
      statuses: z
        .array(z.string().trim().min(1).max(50))
        .min(1)
        .max(20)
        .transform(unique)
        .describe('WooCommerce statuses: processing, shipped, completed, cancelled...'),
      store_id: Id.nullable().default(null).describe('A WooCommerce store; null for any'),
    }),
    z.strictObject({
      type: z.literal('payment_link'),
      outcomes: z
        .array(z.enum(['paid', 'failed', 'expired']))
        .min(1)
        .transform(unique),
    }),
    z.strictObject({
      type: z.literal('campaign_reply'),
      campaign_id: Id,
      within_hours: z
        .number()
        .int()
        .min(1)
        .max(720)
        .describe("A message from a contact sent the campaign's message at most this long before"),
    }),
  ])
  .describe('What starts a run');

const FieldCondition = z.strictObject({
  field: z.string().min(1).max(100).describe(`One of ${CONDITION_FIELDS}`),
  op: z.enum(CONDITION_OPS),
  value: z
    .union([z.string().max(2_000), z.number(), z.boolean(), z.null()])
    .default(null)
    .describe(
      'none for exists; a number for greater_than and less_than; for matches a pattern in ' +
        'lower case (the text is lower-cased)',
    ),
});

const HoursCondition = z.strictObject({
  hours: ScheduleBody.describe("Days and hours in a timezone (the contact's own when it has one)"),
  op: z.enum(['within', 'outside']),
});

const Condition = z.union([
  FieldCondition,
  HoursCondition,
  z.strictObject({
    any: z
      .array(z.union([FieldCondition, HoursCondition]))
      .min(1)
      .max(20)
      .describe('At least one of them holds'),
  }),
]);

const Conditions = z.array(Condition).max(20);

const TemplateBody = CampaignMessageBody.options[0].omit({ action_id: true });

const MediaBody = Media.transform((m) => ({
  link: (m.link ?? m.url)!,
  ...(m.caption === undefined ? {} : { caption: m.caption }),
  ...(m.filename === undefined ? {} : { filename: m.filename }),
}));

const placeholders =
  'Strings may hold placeholders: {{name}}, {{custom_fields.<key>}}, {{action.<key>}}, ' +
  '{{message.text}}... with a default after a bar ({{name | there}})';

const Message = z
  .discriminatedUnion('type', [
    z.strictObject({ type: z.literal('text'), text: z.string().min(1).max(4096) }),
    TemplateBody,
    z.strictObject({ type: z.literal('interactive'), interactive: Interactive }),
    z.strictObject({ type: z.enum(['image', 'video', 'document', 'audio']), media: MediaBody }),
    z.strictObject({
      type: z.literal('sticker'),
      media: Sticker.transform((m) => ({ link: (m.link ?? m.url)! })),
    }),
    z.strictObject({ type: z.literal('location'), location: Location }),
    z.strictObject({
      type: z.literal('contacts'),
      contacts: z.array(ContactCard).min(1).max(257),
    }),
  ])
  .describe(placeholders);

const Next = {
  next: Target.optional().describe('The step after this one: the following one when absent'),
};

const ReplyMatch = z.union([
  z.strictObject({ button: z.string().min(1).max(256).describe('A button id or payload') }),
  z.strictObject({
    keywords: z.array(Text).min(1).max(50).describe('The whole reply is one of them (any case)'),
  }),
  z.strictObject({ pattern: Pattern, ignore_case: IgnoreCase }),
]);

const Step = z.discriminatedUnion('type', [
  z.strictObject({
    id: StepId,
    ...Next,
    type: z.literal('send_message'),
    message: Message,
    fallback: TemplateBody.nullable()
      .default(null)
      .describe('The template sent instead when the 24-hour window is closed'),
  }),
  z.strictObject({
    id: StepId,
    type: z.literal('wait_for_reply'),
    timeout: Duration,
    branches: z
      .array(z.strictObject({ match: ReplyMatch, next: Target }))
      .max(20)
      .default([])
      .describe('The first whose match fits the reply is taken'),
    otherwise: Target.optional().describe('Any other reply; the following step when absent'),
    on_timeout: Target.describe('Where the run goes when no reply came in time'),
    save_to: CustomFieldKey.nullable()
      .default(null)
      .describe("A custom field the reply's text is saved into"),
  }),
  z.strictObject({ id: StepId, ...Next, type: z.literal('delay'), duration: Duration }),
  z.strictObject({
    id: StepId,
    type: z.literal('condition'),
    conditions: Conditions.min(1).describe('Every one must hold for then'),
    then: Target,
    else: Target,
  }),
  z.strictObject({
    id: StepId,
    ...Next,
    type: z.literal('set_tags'),
    add: z.array(Label).max(50).default([]),
    remove: z.array(Label).max(50).default([]),
  }),
  z.strictObject({
    id: StepId,
    ...Next,
    type: z.literal('set_fields'),
    set: z.record(CustomFieldKey, z.string().max(2_000)).default({}).describe(placeholders),
    remove: z.array(CustomFieldKey).max(50).default([]),
  }),
  z.strictObject({
    id: StepId,
    ...Next,
    type: z.literal('run_action'),
    action_id: Id,
    input: z.unknown().default(null).describe("The action's input"),
  }),
  z.strictObject({ id: StepId, ...Next, type: z.literal('subscribe_sequence'), sequence_id: Id }),
  z.strictObject({ id: StepId, ...Next, type: z.literal('unsubscribe_sequence'), sequence_id: Id }),
  z.strictObject({
    id: StepId,
    ...Next,
    type: z.literal('send_payment_link'),
    amount: Amount,
    currency: Currency,
    description: z.string().trim().min(1).max(255),
    gateway: z
      .enum(['stripe', 'razorpay'])
      .nullable()
      .default(null)
      .describe('Default: Razorpay for INR, Stripe otherwise'),
    expires_in: z.string().max(16).nullable().default(null).describe('15m to 48h; 24h when null'),
  }),
  z.strictObject({
    id: StepId,
    ...Next,
    type: z.literal('transfer'),
    agent_id: Text.nullable().default(null),
    team_id: Text.nullable().default(null),
    notes: z.string().trim().max(2_000).nullable().default(null),
  }),
  z.strictObject({
    id: StepId,
    ...Next,
    type: z.literal('emit_event'),
    name: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'an event name: letters, digits, _ . : -'),
    data: z.record(z.string(), z.unknown()).default({}).describe(placeholders),
  }),
  z
    .strictObject({
      id: StepId,
      ...Next,
      type: z.literal('mark_read'),
      typing_indicator: z
        .boolean()
        .default(false)
        .describe('Also show a typing indicator (until the next message, or 25 seconds)'),
    })
    .describe("Marks the customer's latest message (the trigger, or the latest reply) read"),
  z.strictObject({ id: StepId, type: z.literal('end') }),
]);

export const AutomationBody = checked<AutomationRequest>()(
  z.strictObject({
    name: z.string().trim().min(1).max(200),
    enabled: z.boolean().default(true).describe('A disabled automation starts no runs'),
    whatsapp_account: z
      .uuid()
      .optional()
      .describe('Account to send from; default account if omitted'),
    priority: z
      .number()
      .int()
      .min(-1_000)
      .max(1_000)
      .default(0)
      .describe('When several automations match, the highest starts (ties: the oldest)'),
    trigger: Trigger,
    conditions: Conditions.default([]).describe('Every one must hold for a run to start'),
    steps: z
      .array(Step)
      .min(1)
      .max(50)
      .describe('Run from the first; a step goes to the following one unless it names another'),
  }),
);

const Count = z.number().int();
const RunCounts = z.object({
  running: Count,
  waiting: Count,
  completed: Count,
  failed: Count,
  cancelled: Count,
});

export const AutomationView = z.object({
  id: z.string(),
  name: z.string(),
  enabled: z.boolean(),
  whatsapp_account_id: z.string(),
  priority: z.number().int(),
  version: z.number().int().describe('+1 per edit; running runs keep theirs'),
  trigger: z.looseObject({ type: z.string() }),
  conditions: z.array(z.record(z.string(), z.unknown())),
  steps: z.array(z.looseObject({ id: z.string(), type: z.string() })),
  runs: RunCounts.describe('Runs by state'),
  created_at: Timestamp,
  updated_at: Timestamp,
});

/** A stored step as the API shows it: as written, without the durations in ms. */
function stepView(step: AutomationDoc['steps'][number]): { id: string; type: StepType } {
  if (step.type === 'wait_for_reply') {
    const { timeout_ms: _, ...rest } = step;
    return rest;
  }
  if (step.type === 'delay') {
    const { duration_ms: _, ...rest } = step;
    return rest;
  }
  return step;
}

export function automationView(
  doc: AutomationDoc,
  counts: Record<RunState, number>,
): z.infer<typeof AutomationView> {
  return {
    id: doc._id,
    name: doc.name,
    enabled: doc.enabled,
    whatsapp_account_id: doc.account_id,
    priority: doc.priority,
    version: doc.version,
    trigger: doc.trigger,
    conditions: doc.conditions,
    steps: doc.steps.map(stepView),
    runs: counts,
    created_at: doc.created_at.toISOString(),
    updated_at: doc.updated_at.toISOString(),
  };
}

const Page = {
  limit: z.coerce.number().int().min(1).max(50).default(20),
  before_time: z.iso.datetime({ offset: true }).optional(),
  before_id: z.string().max(100).optional().describe('With before_time: the last id seen'),
};

const cursorTogether = {
  error: 'before_time and before_id go together',
  path: ['before_id'],
};

export const ListAutomationsQuery = z
  .object(Page)
  .refine((q) => !q.before_time === !q.before_id, cursorTogether);

export const AutomationList = z.object({
  automations: z.array(AutomationView),
  next_cursor: NextCursor,
});

const InboundView = z
  .object({
    message_id: z.string(),
    type: z.string(),
    text: z.string().nullable(),
    button: z.string().nullable(),
    list_reply: z.string().nullable(),
    at: Timestamp,
  })
  .nullable();

const PathRecord = z.object({
  step: z.string(),
  type: z.string(),
  at: Timestamp,
  outcome: z.string().describe('sent, fallback, skipped, waiting, reply, timeout, then...'),
  detail: z.record(z.string(), z.unknown()).nullable(),
});

const pathView = (path: AutomationRunDoc['path']) =>
  path.map((p) => ({ ...p, at: p.at.toISOString() }));

export const RunView = z.object({
  id: z.string(),
  automation_id: z.string(),
  version: z.number().int().describe('The automation version this run follows'),
  contact_id: z.string(),
  state: z.enum(RUN_STATES),
  step: z.string().nullable().describe('The step it waits at or runs next; null once ended'),
  waiting: z
    .object({ kind: z.enum(['reply', 'delay']), step: z.string(), until: Timestamp })
    .nullable()
    .describe('What it waits for, and until when'),
  trigger: z.object({
    type: z.string(),
    input: z.string().describe('What started it: an event id, or an order or payment key'),
    message: InboundView,
  }),
  context: z.object({
    action: z.record(z.string(), z.string()).describe('Values run_action steps gave'),
  }),
  path: z.array(PathRecord),
  end_reason: z.string().nullable(),
  created_at: Timestamp,
  updated_at: Timestamp,
  ended_at: Timestamp.nullable(),
});

const iso = (d: Date | null) => d?.toISOString() ?? null;

export function runView(run: AutomationRunDoc): z.infer<typeof RunView> {
  const message = run.trigger.message;
  return {
    id: run._id,
    automation_id: run.automation_id,
    version: run.version,
    contact_id: run.contact_id,
    state: run.state,
    step: run.step,
    waiting: run.wait && {
      kind: run.wait.kind,
      step: run.wait.step,
      until: run.wait.until.toISOString(),
    },
    trigger: {
      type: run.trigger.type,
      input: run.trigger.input,
      message: message && { ...message, at: message.at.toISOString() },
    },
    context: { action: run.context.action },
    path: pathView(run.path),
    end_reason: run.end_reason,
    created_at: run.created_at.toISOString(),
    updated_at: run.updated_at.toISOString(),
    ended_at: iso(run.ended_at),
  };
}

export const RunsQuery = z
  .object({ ...Page, state: z.enum(RUN_STATES).optional().describe('Only runs in this state') })
  .refine((q) => !q.before_time === !q.before_id, cursorTogether);

export const RunList = z.object({ runs: z.array(RunView), next_cursor: NextCursor });

export const RunParams = z.object({ id: Id, runId: Id });

const TestMessage = z
  .strictObject({
    text: z.string().max(4096).optional(),
    button: z.string().min(1).max(256).optional().describe('A button id or quick-reply payload'),
    list_reply: z.string().min(1).max(200).optional().describe('A list row id'),
  })
  .refine((m) => m.text !== undefined || m.button || m.list_reply, {
    error: 'give text, button or list_reply',
  });

export const AutomationTestBody = checked<AutomationTestRequest>()(
  z
    .strictObject({
      contact_id: Id.optional().describe('The contact the run would be for'),
      phone_number: z.string().min(1).max(40).optional().describe("Or the contact's number"),
      default_country: DefaultCountry,
      message: TestMessage.describe('The message that would start the run'),
      replies: z
        .array(z.union([TestMessage, z.strictObject({ timeout: z.literal(true) })]))
        .max(50)
        .optional()
        .describe("The customer's answer at each wait, in order, or {timeout: true}"),
    })
    .refine((b) => Boolean(b.contact_id || b.phone_number), {
      error: 'give contact_id or phone_number',
      path: ['contact_id'],
    }),
);

export const AutomationTestView = z.object({
  matched: z.boolean().describe('Whether the trigger and the conditions let a run start'),
  reason: z.string().nullable().describe('Why no run would start, or why it fails'),
  state: z.enum(RUN_STATES).nullable().describe('Where the run would be after the replies'),
  waiting: z
    .object({ step: z.string(), kind: z.enum(['reply', 'delay']), until: Timestamp })
    .nullable(),
  path: z.array(PathRecord),
  messages: z
    .array(
      z.object({
        step: z.string(),
        type: z.string(),
        content: z.record(z.string(), z.unknown()),
      }),
    )
    .describe('What it would send, as Meta would get it; nothing is sent'),
});

export const automationTestView = (
  r: AutomationTestResult,
): z.infer<typeof AutomationTestView> => ({ ...r, path: pathView(r.path) });

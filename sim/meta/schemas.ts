import { z } from 'zod';

/** Inputs of the control API (`/_sim/*`), which mirror the simulator's own methods. */

const rate = z.number().min(0).max(1);

export const OptionsPatch = z.strictObject({
  webhookUrl: z.url().nullable().optional(),
  throughputPerSecond: z.number().int().positive().optional(),
  throughputPerNumber: z
    .record(z.string().min(1), z.number().int().positive().nullable())
    .optional(),
  pairRate: z
    .strictObject({ intervalMs: z.number().int().min(0), burst: z.number().int().min(1) })
    .partial()
    .optional(),
  messagingLimitPerWaba: z.record(z.string().min(1), z.number().int().min(1).nullable()).optional(),
  businessOfWaba: z
    .record(
      z.string().regex(/^\d{1,32}$/),
      z
        .string()
        .regex(/^\d{1,32}$/)
        .nullable(),
    )
    .optional(),
  latencyMs: z.number().int().min(0).optional(),
  today: z.iso.date().nullable().optional(),
  answerLatencyMs: z.number().int().min(0).optional(),
  failureRate: rate.optional(),
  statusWebhooks: z
    .strictObject({
      enabled: z.boolean(),
      delayMs: z.number().int().min(0),
      deliveredRate: rate,
      readRate: rate,
      duplicateRate: rate,
      reorderRate: rate,
    })
    .partial()
    .optional(),
  webhookRetry: z
    .strictObject({
      attempts: z.number().int().min(1).max(20),
      backoffMs: z.number().int().min(0),
      timeoutMs: z.number().int().positive(),
    })
    .partial()
    .optional(),
});

/** For Meta's recipient errors (131049, 130472) the status, message and details may be left out. */
export const Failure = z.union([
  z.object({ kind: z.enum(['drop', 'refuse']) }),
  z
    .strictObject({
      kind: z.literal('error').optional(),
      httpStatus: z.number().int().min(400).max(599).optional(),
      code: z.number().int(),
      message: z.string().min(1).optional(),
      details: z.string().optional(),
      recipient: z.string().min(1).optional(),
      via: z.enum(['response', 'status']).optional(),
    })
    .refine((f) => f.via !== 'status' || f.recipient !== undefined, {
      message: "via 'status' needs a recipient",
      path: ['via'],
    }),
]);

export const FailNext = z.intersection(
  z.object({
    count: z
      .union([z.number().int().min(1).max(10_000), z.literal('always')])
      .default(1)
      .describe("How many sends get it; 'always': every one until /_sim/reset"),
    phoneNumberId: z.string().min(1).optional(),
  }),
  Failure,
);

const Button = z.strictObject({
  type: z.enum(['URL', 'QUICK_REPLY', 'PHONE_NUMBER', 'COPY_CODE']),
  text: z.string().min(1),
  url: z.string().optional(),
  phone_number: z.string().optional(),
  example: z.array(z.string()).optional(),
});

const Component = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('HEADER'),
    format: z.enum(['TEXT', 'IMAGE', 'VIDEO', 'DOCUMENT', 'LOCATION']),
    text: z.string().optional(),
    example: z.record(z.string(), z.unknown()).optional(),
  }),
  z.strictObject({
    type: z.literal('BODY'),
    text: z.string().min(1),
    example: z.record(z.string(), z.unknown()).optional(),
  }),
  z.strictObject({ type: z.literal('FOOTER'), text: z.string().min(1) }),
  z.strictObject({ type: z.literal('BUTTONS'), buttons: z.array(Button).min(1).max(10) }),
]);

export const TemplateInputSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9_]{1,512}$/, 'lower case letters, digits and underscores'),
  language: z.string().min(2),
  category: z.enum(['MARKETING', 'UTILITY', 'AUTHENTICATION']).optional(),
  status: z.enum(['APPROVED', 'PENDING', 'REJECTED', 'PAUSED', 'DISABLED']).optional(),
  components: z.array(Component).min(1),
});

export const AddTemplate = z
  .strictObject({
    wabaId: z.string().min(1).optional(),
    phoneNumberId: z.string().min(1).optional(),
    template: TemplateInputSchema,
  })
  .refine((b) => b.wabaId !== undefined || b.phoneNumberId !== undefined, {
    message: 'wabaId or phoneNumberId is required',
  });

const Waba = {
  wabaId: z
    .string()
    .regex(/^\d{1,32}$/, 'a string of digits')
    .optional(),
  phoneNumberId: z.string().min(1).optional(),
};
const needsWaba = (b: { wabaId?: string; phoneNumberId?: string }) =>
  b.wabaId !== undefined || b.phoneNumberId !== undefined;

export const ChangeTemplate = z
  .strictObject({
    ...Waba,
    name: z.string().min(1),
    language: z.string().min(2),
    status: z.enum(['APPROVED', 'PENDING', 'REJECTED', 'PAUSED', 'DISABLED']).optional(),
    category: z.enum(['MARKETING', 'UTILITY', 'AUTHENTICATION']).optional(),
    quality: z.enum(['GREEN', 'YELLOW', 'RED', 'UNKNOWN']).optional(),
    reason: z.string().min(1).optional(),
  })
  .refine(needsWaba, { message: 'wabaId or phoneNumberId is required' })
  .refine((b) => b.status ?? b.category ?? b.quality, {
    message: 'status, category or quality is required',
  });

export const AccountEvent = z
  .strictObject({
    ...Waba,
    field: z.string().regex(/^[a-z_]{1,64}$/, 'a webhook field name, such as account_update'),
    value: z.record(z.string(), z.unknown()),
  })
  .refine(needsWaba, { message: 'wabaId or phoneNumberId is required' });

export const RegisterNumber = z.strictObject({
  phoneNumberId: z.string().min(1),
  wabaId: z.string().min(1).optional(),
  displayPhoneNumber: z
    .string()
    .regex(/^\+?[\d\s-]{8,20}$/, 'a phone number with its country code')
    .optional(),
  /** Only this token (and the sandbox token) may then read the number or send from it. */
  accessToken: z.string().regex(/^\S+$/, 'a token without spaces').optional(),
  marketingMessages: z.boolean().optional(),
  /** What Graph then reports as the number's `quality_rating`. */
  qualityRating: z.enum(['GREEN', 'YELLOW', 'RED', 'UNKNOWN']).optional(),
  /** The business portfolio owning the number's WABA (`businessOfWaba`). */
  businessId: z
    .string()
    .regex(/^\d{1,32}$/, 'a string of digits')
    .optional(),
});

const UserId = z.string().regex(/^[A-Z]{2}(\.[A-Za-z0-9]+)+$/, 'must be a BSUID like US.1234');

export const Inbound = z.looseObject({
  phone_number_id: z.string().min(1),
  from: z.string().min(1).optional(),
  username: z.string().min(1).optional(),
  user_id: UserId.optional(),
  name: z.string().optional(),
});

export const SystemMessage = z.strictObject({
  phone_number_id: z.string().min(1),
  type: z.enum(['user_changed_number', 'user_changed_user_id']),
  from: z.string().min(1).optional(),
  username: z.string().min(1).optional(),
  user_id: UserId.optional(),
  new_phone: z.string().min(1).optional(),
  new_user_id: UserId.optional(),
});

export const AddMedia = z
  .strictObject({
    mime_type: z.string().regex(/^[\w.+-]+\/[\w.+-]+/, 'must be a MIME type'),
    /** The file's bytes, base64. */
    data: z.base64().optional(),
    /** Or this many bytes of a pattern, made as they are served (large files). */
    size: z
      .number()
      .int()
      .min(0)
      .max(200 * 1024 * 1024)
      .optional(),
    phone_number_id: z.string().min(1).optional(),
  })
  .refine((b) => (b.data === undefined) !== (b.size === undefined), 'give data or size');

export const MediaFaults = z.strictObject({
  fail_downloads: z.number().int().min(0).optional(),
  status: z.number().int().min(400).max(599).optional(),
  wrong_bytes: z.boolean().optional(),
});

export const SendsQuery = z.object({ full: z.enum(['true', 'false']).optional() });

export const AdvanceClock = z.strictObject({ advanceMs: z.number().int().min(0) });

/** Parses or throws an error whose message names the fields at fault. */
export function parse<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  throw new ControlError(
    result.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '),
  );
}

export class ControlError extends Error {}

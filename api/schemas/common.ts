import { z } from 'zod';

export const ErrorSchema = z.object({
  message: z.string(),
  status: z.literal('error'),
  code: z
    .string()
    .describe('Machine-readable: not_found, validation_failed, outside_window... (see the README)'),
});

/** The success envelope around a route's data. */
export function envelope<T extends z.ZodType>(data: T) {
  return z.object({ data, status: z.literal('success') });
}

export function ok<T>(data: T): { data: T; status: 'success' } {
  return { data, status: 'success' };
}

/** Ids are looked up as given: one that names nothing, of whatever shape, is a 404. */
export const Id = z.string().min(1).max(100);

export const IdParams = z.object({ id: Id });

/**
 * The header of a create that may be repeated safely: the same key and request answer the
 * first result; the same key with another request, 409.
 */
export const IdempotencyKeyHeaders = z.object({
  'idempotency-key': z
    .string()
    .min(1)
    .max(255)
    .optional()
    .describe('Repeating a request with the same key returns the first result'),
});

/** Error answers every protected route can give. */
export const protectedErrors = {
  401: ErrorSchema,
  429: ErrorSchema,
} as const;

export const Timestamp = z.iso.datetime().describe('ISO 8601 timestamp');

/** Where the next (older) page starts: the last item's time and id. */
export const NextCursor = z
  .object({ before_time: z.string(), before_id: z.string() })
  .nullable()
  .describe('Pass both as query parameters for the next (older) page');

/**
 * The schema, proven at compile time to parse into the domain's request type: the domain
 * declares what a use case takes, the API only how it is spelled on the wire.
 * `checked<CampaignRequest>()(z.object({...}))`
 */
export const checked =
  <Domain>() =>
  <S extends z.ZodType<Domain>>(schema: S): S =>
    schema;

import { z } from 'zod';
import type { MetaEventListRequest } from '../../inbound/meta-events';
import type { MetaEventDoc } from '../../store/documents';
import { checked, NextCursor, Timestamp } from './common';

const State = z.enum(['applied', 'stored', 'unmatched']);

export const ListMetaEventsQuery = checked<MetaEventListRequest>()(
  z
    .object({
      field: z
        .string()
        .regex(/^[a-z_]{1,64}$/, 'a webhook field name, such as account_update')
        .optional(),
      state: State.optional(),
      limit: z.coerce.number().int().min(1).max(100).default(25),
      before_time: z.iso.datetime({ offset: true }).optional(),
      before_id: z.string().max(100).optional().describe('With before_time: the last id seen'),
    })
    .refine((q) => !q.before_time === !q.before_id, {
      error: 'before_time and before_id go together',
      path: ['before_id'],
    }),
);

export const MetaEventView = z.object({
  id: z.string(),
  field: z.string().describe('The webhook field, e.g. account_update'),
  waba_id: z.string(),
  phone_number_id: z.string().nullable(),
  state: State.describe('applied: Waflow acted on it; stored: kept to read; unmatched: see reason'),
  reason: z.string().nullable(),
  received_at: Timestamp,
  value: z.record(z.string(), z.unknown()).describe("The change's value as Meta sent it"),
});

export const MetaEventList = z.object({ events: z.array(MetaEventView), next_cursor: NextCursor });

export const metaEventView = (doc: MetaEventDoc): z.infer<typeof MetaEventView> => ({
  id: doc._id,
  field: doc.field,
  waba_id: doc.waba_id,
  phone_number_id: doc.phone_number_id,
  state: doc.state,
  reason: doc.reason,
  received_at: doc.received_at.toISOString(),
  value: doc.value,
});

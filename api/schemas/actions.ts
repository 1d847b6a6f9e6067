import { z } from 'zod';
import type { ActionDoc, ActionRunDoc } from '../../store/documents';
import type { RunOutcome } from '../../vm/types';
import type { ActionPatchRequest, ActionRequest } from '../../actions/definitions';
import type { RunActionRequest } from '../../actions/invoke';
import { checked, Id, NextCursor, Timestamp } from './common';

const MAX_CODE_CHARS = 64 * 1024;

const Name = z.string().trim().min(1).max(100);
const Description = z.string().trim().max(1_000).nullable();
const Code = z
  .string()
  .min(1)
  .max(MAX_CODE_CHARS)
  .describe(
    'The body of an async function: `return` the result, `await` works. It sees `contact`, ' +
      '`message`, `agent`, `organization` and `input`; 5 s, 10 MB, no network, filesystem ' +
      'or system APIs',
  );

export const ActionBody = checked<ActionRequest>()(
  z.object({
    name: Name,
    description: Description.optional(),
    code: Code,
  }),
);

export const ActionPatch = checked<ActionPatchRequest>()(
  z
    .object({ name: Name.optional(), description: Description.optional(), code: Code.optional() })
    .refine((b) => Object.values(b).some((v) => v !== undefined), {
      error: 'give at least one of name, description, code',
    }),
);

export const ActionView = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  code: z.string(),
  disabled_reason: z
    .string()
    .nullable()
    .describe('Why the action no longer runs (it kept crashing its sandbox); new code clears it'),
  created_at: Timestamp,
  updated_at: Timestamp,
});

export const actionView = (a: ActionDoc): z.infer<typeof ActionView> => ({
  id: a._id,
  name: a.name,
  description: a.description,
  code: a.code,
  disabled_reason: a.disabled_reason ?? null,
  created_at: a.created_at.toISOString(),
  updated_at: a.updated_at.toISOString(),
});

const JsonObject = z.record(z.string(), z.unknown());

export const RunBody = checked<RunActionRequest>()(
  z.strictObject({
    contact_id: Id.optional().describe(
      'The contact the action sees as `contact`; its last message is `message` unless one is given',
    ),
    message: JsonObject.optional().describe('The message the action sees as `message`'),
    agent: JsonObject.optional().describe('The agent the action sees as `agent`'),
    input: z.unknown().optional().describe('Extra input, as `input`'),
  }),
);

const ErrorType = z.enum(['syntax', 'runtime', 'timeout', 'memory', 'output', 'crashed']);

export const RunView = z.object({
  run_id: z.string(),
  outcome: z.enum(['ok', 'error']),
  result: z.unknown().describe('What the action returned (null on error)'),
  logs: z.array(z.string()).describe('console output, capped in count and size'),
  duration_ms: z.number(),
  error: z
    .object({
      type: ErrorType.describe(
        'syntax: does not compile; runtime: threw; timeout: over 5 s; memory: over 10 MB; ' +
          'output: the result is not JSON or too large; crashed: the sandbox process died',
      ),
      message: z.string(),
      line: z.number().int().nullable(),
      column: z.number().int().nullable(),
    })
    .nullable(),
});

export const runView = (runId: string, o: RunOutcome): z.infer<typeof RunView> => ({
  run_id: runId,
  outcome: o.ok ? 'ok' : 'error',
  result: o.ok ? o.result : null,
  logs: o.logs,
  duration_ms: o.durationMs,
  error: o.ok ? null : { ...o.error, type: o.error.type as z.infer<typeof ErrorType> },
});

export const RunsQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(200).default(50),
    before_time: z.iso.datetime({ offset: true }).optional(),
    before_id: z.string().max(100).optional().describe('With before_time: the last id seen'),
  })
  .refine((q) => !q.before_time === !q.before_id, {
    error: 'before_time and before_id go together',
    path: ['before_id'],
  });

export const RunRecordView = z.object({
  id: z.string(),
  caller: z.object({
    type: z.enum(['api', 'campaign', 'sequence', 'woocommerce', 'workflow', 'automation']),
    id: z.string().nullable(),
  }),
  outcome: z.enum(['ok', 'syntax', 'runtime', 'timeout', 'memory', 'output', 'busy', 'crashed']),
  error: z.string().nullable(),
  duration_ms: z.number(),
  created_at: Timestamp,
});

export const runRecordView = (r: ActionRunDoc): z.infer<typeof RunRecordView> => ({
  id: r._id,
  caller: r.caller,
  outcome: r.outcome,
  error: r.error,
  duration_ms: r.duration_ms,
  created_at: r.created_at.toISOString(),
});

export const RunList = z.object({ runs: z.array(RunRecordView), next_cursor: NextCursor });

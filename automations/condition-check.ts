import { compileLinear } from '../lib/linear-regex';
import { CONDITION_OPS, type Condition, type ConditionOp } from '../store/contract/automations';

const ALL_OPS: readonly ConditionOp[] = CONDITION_OPS;
const TEXT_OPS = ALL_OPS.filter((op) => op !== 'greater_than' && op !== 'less_than');
const ID_OPS: ConditionOp[] = ['equals', 'not_equals', 'exists', 'not_exists'];

/** The ops each field takes. */
const FIELD_OPS: Record<string, ConditionOp[]> = {
  tags: ['contains', 'not_contains', 'exists', 'not_exists'],
  stage: TEXT_OPS,
  name: TEXT_OPS,
  email: TEXT_OPS,
  opted_in: ['equals', 'not_equals'],
  'message.text': TEXT_OPS,
  'message.type': ID_OPS,
  'message.button': ID_OPS,
  'message.list_reply': ID_OPS,
};

/** A custom field's or an action value's key: no dot, not starting with $ (as contacts keep them). */
const KEYED = /^(custom_fields|action)\.([^.$][^.]{0,63})$/;

export const CONDITION_FIELDS =
  'tags, stage, name, email, opted_in, custom_fields.<key>, message.text, message.type, ' +
  'message.button, message.list_reply or action.<key>';

const list = (ops: readonly string[]) => `${ops.slice(0, -1).join(', ')} or ${ops.at(-1)}`;

function opsOf(field: string): readonly ConditionOp[] | null {
  return FIELD_OPS[field] ?? (KEYED.test(field) ? ALL_OPS : null);
}

/** What is wrong with a condition, prefixed by its path; null when nothing is. */
export function conditionProblem(c: Condition, path: string): string | null {
  if ('any' in c) {
    if (c.any.length === 0) return `${path}.any: give at least one condition`;
    for (const [i, inner] of c.any.entries()) {
      const problem = conditionProblem(inner, `${path}.any[${i}]`);
      if (problem) return problem;
    }
    return null;
  }
  if ('hours' in c) return null;
  const ops = opsOf(c.field);
  if (!ops) return `${path}.field: '${c.field}' is not a condition field; use ${CONDITION_FIELDS}`;
  if (!ops.includes(c.op)) return `${path}.op: ${c.field} takes ${list(ops)}, not ${c.op}`;
  const v = c.value;
  switch (c.op) {
    case 'exists':
    case 'not_exists':
      return v === null ? null : `${path}.value: ${c.op} takes no value`;
    case 'equals':
    case 'not_equals':
      if (c.field === 'opted_in') {
        return typeof v === 'boolean'
          ? null
          : `${path}.value: opted_in compares with true or false`;
      }
      return v === null ? `${path}.value: ${c.op} needs a value (or use exists)` : null;
    case 'contains':
    case 'not_contains':
      return typeof v === 'string' && v !== '' ? null : `${path}.value: ${c.op} needs a text`;
    case 'greater_than':
    case 'less_than':
      return typeof v === 'number' && Number.isFinite(v)
        ? null
        : `${path}.value: ${c.op} compares with a number`;
    case 'matches':
      if (typeof v !== 'string') return `${path}.value: matches needs a pattern`;
      try {
        // Conditions match with case ignored (automations/conditions.ts).
        compileLinear(v, true);
        return null;
      } catch (err) {
        return `${path}.value: ${(err as Error).message}`;
      }
  }
}

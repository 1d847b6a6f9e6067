import { nextAllowedMoment } from '../lib/delivery-schedule';
import { contactZone } from '../sequences/step';
import type { Condition, ConditionOp } from '../store/contract/automations';
import { fitsPattern } from './match';
import { scopeValue, type RunScope } from './render';

const CONTACT_KEYS = new Set(['stage', 'name', 'email', 'opted_in']);

/** A field's value in the scope: the contact's (`tags` is a list), the message's, an action's. */
function valueOf(scope: RunScope, field: string): unknown {
  if (field === 'tags') return scope.contact.tags;
  if (CONTACT_KEYS.has(field))
    return scope.contact[field as 'stage' | 'name' | 'email' | 'opted_in'];
  return scopeValue(scope, field);
}

const present = (v: unknown) =>
  v !== undefined && v !== null && v !== '' && !(Array.isArray(v) && v.length === 0);

/** Values compare as text: strings, numbers and booleans; anything else is no text. */
const text = (v: unknown) =>
  typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean'
    ? String(v).trim().toLowerCase()
    : '';

function number(v: unknown): number | null {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string' || v.trim() === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

/** Text compares trimmed and in any case; numbers as numbers; `tags` by membership. */
function test(
  op: ConditionOp,
  actual: unknown,
  expected: Extract<Condition, { field: string }>,
): boolean {
  const want = expected.value;
  if (Array.isArray(actual)) {
    const has = actual.some((t) => text(t) === text(want));
    switch (op) {
      case 'contains':
      case 'equals':
        return has;
      case 'not_contains':
      case 'not_equals':
        return !has;
      case 'exists':
        return present(actual);
      case 'not_exists':
        return !present(actual);
      default:
        return false;
    }
  }
  switch (op) {
    case 'exists':
      return present(actual);
    case 'not_exists':
      return !present(actual);
    case 'equals':
    case 'not_equals': {
      const a = number(actual);
      const b = number(want);
      const same = a !== null && b !== null ? a === b : text(actual) === text(want);
      return op === 'equals' ? same : !same;
    }
    case 'contains':
      return present(actual) && text(actual).includes(text(want));
    case 'not_contains':
      return !text(actual).includes(text(want));
    case 'matches':
      return present(actual) && fitsPattern(String(want), true, String(actual));
    case 'greater_than':
    case 'less_than': {
      const a = number(actual);
      const b = number(want);
      if (a === null || b === null) return false;
      return op === 'greater_than' ? a > b : a < b;
    }
  }
}

/** Whether one condition holds for the run's scope at `at`. */
export function holds(condition: Condition, scope: RunScope, at: Date): boolean {
  if ('any' in condition) return condition.any.some((c) => holds(c, scope, at));
  if ('hours' in condition) {
    const moment = at.getTime();
    const within =
      nextAllowedMoment(moment, condition.hours, contactZone(scope.contact)) === moment;
    return condition.op === 'within' ? within : !within;
  }
  return test(condition.op, valueOf(scope, condition.field), condition);
}

/** Whether every condition holds. */
export const allHold = (conditions: readonly Condition[], scope: RunScope, at: Date) =>
  conditions.every((c) => holds(c, scope, at));

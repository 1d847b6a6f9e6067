import { randomUUID } from 'node:crypto';
import type { NewAction } from './contract/actions';
import type { ActionCaller, ActionDoc, ActionRunDoc, ActionRunOutcome } from './documents';

export function newAction(orgId: string, input: NewAction, at = new Date()): ActionDoc {
  return {
    _id: randomUUID(),
    org_id: orgId,
    name: input.name,
    description: input.description,
    code: input.code,
    disabled_reason: null,
    disabled_at: null,
    created_at: at,
    updated_at: at,
  };
}

export function newActionRun(
  action: Pick<ActionDoc, '_id' | 'org_id'>,
  caller: ActionCaller,
  run: { outcome: ActionRunOutcome; error: string | null; durationMs: number },
  at = new Date(),
): ActionRunDoc {
  return {
    _id: randomUUID(),
    org_id: action.org_id,
    action_id: action._id,
    caller,
    outcome: run.outcome,
    error: run.error,
    duration_ms: run.durationMs,
    created_at: at,
  };
}

export const ACTION_FIELDS = ['name', 'description', 'code'] as const;

export const duplicateActionName = (name: string) => `An action named '${name}' already exists`;

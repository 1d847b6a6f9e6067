import { randomUUID } from 'node:crypto';
import type {
  AutomationDefinition,
  AutomationDoc,
  AutomationInputDoc,
  AutomationRunDoc,
  AutomationVersionDoc,
  NewAutomation,
  RunState,
} from './contract/automations';

export const automationVersionId = (automationId: string, version: number) =>
  `${automationId}:${version}`;

/** What an active run of the automation for the contact holds: one at a time. */
export const activeRunKey = (automationId: string, contactId: string) =>
  `${automationId}:${contactId}`;

export const automationDefinition = (
  input: NewAutomation | AutomationDoc,
): AutomationDefinition => ({
  account_id: input.account_id,
  trigger: input.trigger,
  conditions: input.conditions,
  steps: input.steps,
  priority: input.priority,
});

export function newAutomation(orgId: string, input: NewAutomation, at = new Date()): AutomationDoc {
  return {
    _id: randomUUID(),
    org_id: orgId,
    name: input.name,
    enabled: input.enabled,
    ...automationDefinition(input),
    version: 1,
    created_at: at,
    updated_at: at,
  };
}

/** The automation after an edit: its next version. */
export const editedAutomation = (
  current: AutomationDoc,
  input: NewAutomation,
  at = new Date(),
): AutomationDoc => ({
  ...current,
  name: input.name,
  enabled: input.enabled,
  ...automationDefinition(input),
  version: current.version + 1,
  updated_at: at,
});

export function automationVersionDoc(doc: AutomationDoc): AutomationVersionDoc {
  return {
    _id: automationVersionId(doc._id, doc.version),
    org_id: doc.org_id,
    automation_id: doc._id,
    version: doc.version,
    definition: automationDefinition(doc),
    created_at: doc.updated_at,
  };
}

export const emptyRunCounts = (): Record<RunState, number> => ({
  running: 0,
  waiting: 0,
  completed: 0,
  failed: 0,
  cancelled: 0,
});

/** What `cancel` sets on each active run it ends. */
export const cancelledFields = (reason: string, at: Date) => ({
  state: 'cancelled' as const,
  end_reason: reason,
  ended_at: at,
  updated_at: at,
  wait: null,
  step: null,
});

/** The fields `save` writes: a run's progress. */
export type RunProgress = Pick<
  AutomationRunDoc,
  | 'state'
  | 'step'
  | 'wait'
  | 'seq'
  | 'context'
  | 'path'
  | 'end_reason'
  | 'ended_at'
  | 'active_key'
  | 'updated_at'
>;

export const runProgress = (run: AutomationRunDoc): RunProgress => ({
  state: run.state,
  step: run.step,
  wait: run.wait,
  seq: run.seq,
  context: run.context,
  path: run.path,
  end_reason: run.end_reason,
  ended_at: run.ended_at,
  active_key: run.active_key,
  updated_at: run.updated_at,
});

/**
 * `decide`'s answer: per input, in order, the one this call stored (the first of its id) or
 * the one stored earlier.
 */
export function storedInOrder(
  inputs: readonly AutomationInputDoc[],
  inserted: ReadonlySet<string>,
  earlier: readonly AutomationInputDoc[],
): AutomationInputDoc[] {
  const byId = new Map(earlier.map((d) => [d._id, d]));
  for (const i of inputs) if (inserted.has(i._id) && !byId.has(i._id)) byId.set(i._id, i);
  return inputs.map((i) => byId.get(i._id) ?? i);
}

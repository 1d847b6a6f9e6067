import { newActionRun } from '../store/actions';
import type { Store } from '../store/contract';
import type { ActionCaller, ActionDoc, ActionRunDoc } from '../store/documents';
import type { ActionContext, RunOutcome, Sandbox } from '../vm/types';

export interface ActionRunDeps {
  store: Store;
  sandbox: Sandbox;
}

/** A run as recorded: refused runs (`busy`) never ran and are not recorded. */
export function runRecord(action: ActionDoc, caller: ActionCaller, o: RunOutcome): ActionRunDoc {
  return newActionRun(action, caller, {
    outcome: o.ok ? 'ok' : o.error.type,
    error: o.ok ? null : o.error.message,
    durationMs: o.durationMs,
  });
}

export const recorded = (o: RunOutcome) => o.ok || o.error.type !== 'busy';

/** Runs an action once and records the run. */
export async function runAndRecord(
  deps: ActionRunDeps,
  action: ActionDoc,
  context: ActionContext,
  caller: ActionCaller,
): Promise<{ outcome: RunOutcome; run: ActionRunDoc | null }> {
  const outcome = await deps.sandbox.run({ code: action.code, context, key: action.org_id });
  if (!recorded(outcome)) return { outcome, run: null };
  const run = runRecord(action, caller, outcome);
  await deps.store.actions.recordRuns([run]);
  return { outcome, run };
}

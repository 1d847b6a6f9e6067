import { newActionRun } from '../store/actions';
import type { Store } from '../store/contract';
import type { ActionCaller, ActionDoc, ActionRunDoc, ActionRunOutcome } from '../store/documents';
import type { ActionContext, RunOutcome, Sandbox } from '../vm/types';
import { disableIfCrashing } from './crashes';

export interface ActionRunDeps {
  store: Store;
  sandbox: Sandbox;
}

/** A run as recorded: refused (`busy`) and `skipped` runs never ran and are not recorded. */
export function runRecord(
  action: ActionDoc,
  caller: ActionCaller,
  o: (RunOutcome & { ok: true }) | (RunOutcome & { ok: false; error: { type: ActionRunOutcome } }),
): ActionRunDoc {
  return newActionRun(action, caller, {
    outcome: o.ok ? 'ok' : o.error.type,
    error: o.ok ? null : o.error.message,
    durationMs: o.durationMs,
  });
}

export const recorded = (
  o: RunOutcome,
): o is RunOutcome & ({ ok: true } | { ok: false; error: { type: ActionRunOutcome } }) =>
  o.ok || (o.error.type !== 'busy' && o.error.type !== 'skipped');

/** Records the runs in one write, then disables the action if it keeps crashing. */
export async function recordRuns(deps: ActionRunDeps, action: ActionDoc, runs: ActionRunDoc[]) {
  await deps.store.actions.recordRuns(runs);
  await disableIfCrashing(deps, action, runs);
}

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
  await recordRuns(deps, action, [run]);
  return { outcome, run };
}

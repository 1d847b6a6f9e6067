import type { ActionDoc, ActionRunDoc } from '../store/documents';
import type { RunError } from '../vm/types';
import type { Store } from '../store/contract';

/** An action whose last this many recorded runs all crashed their sandbox process is disabled. */
export const CRASHES_TO_DISABLE = 3;

/** What a disabled action's runs answer instead of running. */
export const disabledError = (action: ActionDoc): RunError => ({
  type: 'skipped',
  message: `The action is disabled: ${action.disabled_reason}`,
  line: null,
  column: null,
});

/**
 * After runs are recorded: disables the action when its last runs all crashed (each crash costs
 * every run then in its organization's sandbox process, and up to the time limit). New code
 * runs again.
 */
export async function disableIfCrashing(
  deps: { store: Store },
  action: ActionDoc,
  runs: ActionRunDoc[],
): Promise<void> {
  if (!runs.some((r) => r.outcome === 'crashed')) return;
  const last = await deps.store.actions.runs(action.org_id, action._id, {
    limit: CRASHES_TO_DISABLE,
  });
  if (last.length < CRASHES_TO_DISABLE || last.some((r) => r.outcome !== 'crashed')) return;
  await deps.store.actions.disable(
    action.org_id,
    action._id,
    `it crashed its sandbox process in ${CRASHES_TO_DISABLE} runs in a row (last: ${last[0]!.error ?? 'crashed'}); saving new code enables it again`,
  );
}

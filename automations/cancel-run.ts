import { ConflictError, NotFoundError } from '../lib/errors';
import type { Store } from '../store';
import { ACTIVE_RUN_STATES, type AutomationRunDoc } from '../store/contract/automations';
import type { AutomationEngine } from './engine';
import { EndReason } from './executor';

/**
 * Ends a running or waiting run as `cancelled` (the engine drops its timer, at best): a run
 * that is not the automation's is a 404, one that already ended a 409.
 */
export async function cancelRun(
  deps: { store: Store; engine: Pick<AutomationEngine, 'cancel'> },
  orgId: string,
  automationId: string,
  runId: string,
): Promise<AutomationRunDoc> {
  const run = await deps.store.automationRuns.find(orgId, runId);
  if (!run || run.automation_id !== automationId) {
    throw new NotFoundError(`Run '${runId}' of automation '${automationId}' not found`);
  }
  const ended = ACTIVE_RUN_STATES.includes(run.state)
    ? await deps.engine.cancel(orgId, run._id, EndReason.cancelled)
    : null;
  if (!ended) {
    const now = (await deps.store.automationRuns.get(run._id)) ?? run;
    throw new ConflictError(`Run '${runId}' already ended (${now.state})`, 'run_ended');
  }
  return ended;
}

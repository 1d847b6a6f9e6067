import { mapLimit } from '../lib/concurrency';
import { NotFoundError } from '../lib/errors';
import type { Store } from '../store';
import type { AutomationEngine, Timers } from './engine';
import { EndReason } from './executor';
import { findAutomation } from './read';

const DROPS_IN_FLIGHT = 8;

/**
 * Deletes an automation after ending its active runs (`cancelled`, `automation deleted`);
 * returns how many ended. Their timers are dropped at best: a timer left behind finds its run
 * ended and does nothing.
 */
export async function deleteAutomation(
  deps: {
    store: Store;
    engine: Pick<AutomationEngine, 'forget'>;
    timers: Pick<Timers, 'drop'>;
  },
  orgId: string,
  id: string,
  at = new Date(),
): Promise<{ id: string; ended: number }> {
  const { store } = deps;
  const doc = await findAutomation(deps, orgId, id);
  const ended = await store.automationRuns.cancel(
    { orgId, automationId: doc._id },
    EndReason.automationDeleted,
    at,
  );
  await mapLimit(ended, DROPS_IN_FLIGHT, (run) => deps.timers.drop(run).catch(() => undefined));
  if (!(await store.automations.delete(orgId, doc._id))) {
    throw new NotFoundError(`Automation '${doc._id}' not found`);
  }
  deps.engine.forget(orgId);
  return { id: doc._id, ended: ended.length };
}

import { NotFoundError } from '../lib/errors';
import type { Store } from '../store';
import type { AutomationEngine } from './engine';
import { findAutomation, withCounts, type AutomationWithCounts } from './read';
import type { AutomationRequest } from './request';
import { validateAutomation } from './validate';

export interface SaveDeps {
  store: Store;
  /** Routing reads the organization's automations again once they change. */
  engine: Pick<AutomationEngine, 'forget'>;
}

/** Checks and stores a new automation (version 1). */
export async function createAutomation(
  deps: SaveDeps,
  orgId: string,
  req: AutomationRequest,
): Promise<AutomationWithCounts> {
  const doc = await deps.store.automations.create(
    orgId,
    await validateAutomation(deps.store, orgId, req),
  );
  deps.engine.forget(orgId);
  return withCounts(deps, doc);
}

/** Replaces an automation with a new version; running runs finish the one they started. */
export async function updateAutomation(
  deps: SaveDeps,
  orgId: string,
  id: string,
  req: AutomationRequest,
): Promise<AutomationWithCounts> {
  await findAutomation(deps, orgId, id);
  const input = await validateAutomation(deps.store, orgId, req);
  const doc = await deps.store.automations.update(orgId, id, input);
  if (!doc) throw new NotFoundError(`Automation '${id}' not found`);
  deps.engine.forget(orgId);
  return withCounts(deps, doc);
}

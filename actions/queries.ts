import { NotFoundError } from '../lib/errors';
import type { Store } from '../store/contract';
import type { ActionDoc, ActionRunDoc } from '../store/documents';

/** The organization's action, or a 404. */
export async function findAction(store: Store, orgId: string, id: string): Promise<ActionDoc> {
  const doc = await store.actions.get(orgId, id);
  if (!doc) throw new NotFoundError(`Action '${id}' not found`);
  return doc;
}

/** The organization's actions, by name. */
export function listActions(store: Store, orgId: string): Promise<ActionDoc[]> {
  return store.actions.list(orgId);
}

/** An action's runs, newest first, after a (created_at, id) cursor. */
export async function actionRuns(
  store: Store,
  orgId: string,
  id: string,
  page: { limit: number; before?: { created_at: Date; id: string } },
): Promise<ActionRunDoc[]> {
  const action = await findAction(store, orgId, id);
  return store.actions.runs(orgId, action._id, page);
}

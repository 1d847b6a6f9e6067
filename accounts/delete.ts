import { ValidationError } from '../lib/errors';
import type { Store } from '../store';
import { accountNotFound, type AccountWithActivity, oneWithActivity } from './read';

/** Disconnects and deletes an account and its synced templates; the sandbox one stays. */
export async function deleteAccount(
  { store }: { store: Store },
  orgId: string,
  id: string,
): Promise<AccountWithActivity> {
  const current = await store.accounts.get(orgId, id);
  if (!current) throw accountNotFound(id);
  if (current.sandbox) {
    throw new ValidationError('The sandbox account cannot be deleted');
  }
  const doc = await store.accounts.remove(orgId, id);
  if (!doc) throw accountNotFound(id);
  await store.templates.removeForAccount(id);
  return oneWithActivity(store, doc);
}

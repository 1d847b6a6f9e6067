import type { Client } from '@temporalio/client';
import { NotFoundError } from '../lib/errors';
import type { Store } from '../store';
import { ExitReason, exitRuns } from './exits';
import type { SequenceTriggers } from './inbound-triggers';
import { findSequence } from './read';

/** Deletes a sequence after ending its running subscriptions; returns how many ended. */
export async function deleteSequence(
  deps: { store: Store; temporal: Client; triggers: Pick<SequenceTriggers, 'forget'> },
  orgId: string,
  id: string,
): Promise<{ id: string; ended: number }> {
  const { store } = deps;
  const doc = await findSequence(deps, orgId, id);
  const ended = await exitRuns(
    store,
    deps.temporal,
    { orgId, sequenceId: doc._id },
    ExitReason.sequenceDeleted,
  );
  if (!(await store.sequences.delete(orgId, doc._id))) {
    throw new NotFoundError(`Sequence '${doc._id}' not found`);
  }
  deps.triggers.forget(orgId);
  return { id: doc._id, ended: ended.length };
}

import { NotFoundError } from '../lib/errors';
import type { Store } from '../store';
import type { SequenceTriggers } from './inbound-triggers';
import { sequencePlan } from './preflight';
import { findSequence, withCounts, type SequenceWithCounts } from './read';
import type { SequenceRequest } from './request';

export interface SaveDeps {
  store: Store;
  /** Keyword triggers, read again once a sequence changes. */
  triggers: Pick<SequenceTriggers, 'forget'>;
}

/** Checks and stores a new sequence (version 1). */
export async function createSequence(
  deps: SaveDeps,
  orgId: string,
  req: SequenceRequest,
): Promise<SequenceWithCounts> {
  const { store } = deps;
  const doc = await store.sequences.create(orgId, await sequencePlan(store, orgId, req));
  deps.triggers.forget(orgId);
  return withCounts(deps, doc);
}

/** Replaces a sequence with a new version; running subscriptions finish the one they started. */
export async function updateSequence(
  deps: SaveDeps,
  orgId: string,
  id: string,
  req: SequenceRequest,
): Promise<SequenceWithCounts> {
  const { store } = deps;
  await findSequence(deps, orgId, id);
  const plan = await sequencePlan(store, orgId, req);
  const doc = await store.sequences.update(orgId, id, plan);
  if (!doc) throw new NotFoundError(`Sequence '${id}' not found`);
  deps.triggers.forget(orgId);
  return withCounts(deps, doc);
}

import { NotFoundError } from '../lib/errors';
import { mapLimit } from '../lib/concurrency';
import type { Store } from '../store';
import type { SequenceDoc, SubscriptionState } from '../store/contract/sequences';
import { templatesPaused } from '../templates/sendable';

const COUNTS_IN_FLIGHT = 4;

/** A sequence with how many subscriptions are in each state. */
export interface SequenceWithCounts {
  doc: SequenceDoc;
  counts: Record<SubscriptionState, number>;
  /** Why its subscribers are held: a step's template Meta paused, disabled or rejected. */
  paused_reason: string | null;
}

/** The templates a sequence's steps send, fallbacks included. */
export const sequenceTemplates = (doc: Pick<SequenceDoc, 'steps'>) =>
  doc.steps.flatMap((s) =>
    [s.message, s.fallback].flatMap((m) => (m?.type === 'template' ? [m.template] : [])),
  );

export async function findSequence({ store }: { store: Store }, orgId: string, id: string) {
  const doc = await store.sequences.get(orgId, id);
  if (!doc) throw new NotFoundError(`Sequence '${id}' not found`);
  return doc;
}

export async function withCounts(
  { store }: { store: Store },
  doc: SequenceDoc,
): Promise<SequenceWithCounts> {
  const [counts, paused_reason] = await Promise.all([
    store.sequenceSubscriptions.counts(doc._id),
    templatesPaused({ store }, doc.org_id, doc.account_id, sequenceTemplates(doc)),
  ]);
  return { doc, counts, paused_reason };
}

export async function getSequence(
  deps: { store: Store },
  orgId: string,
  id: string,
): Promise<SequenceWithCounts> {
  return withCounts(deps, await findSequence(deps, orgId, id));
}

/** Newest first, after a (created_at, id) cursor, each with its subscriber counts. */
export async function listSequences(
  deps: { store: Store },
  orgId: string,
  page: { limit: number; before?: { created_at: Date; id: string } },
): Promise<SequenceWithCounts[]> {
  const docs = await deps.store.sequences.list(orgId, page);
  return mapLimit(docs, COUNTS_IN_FLIGHT, (d) => withCounts(deps, d));
}

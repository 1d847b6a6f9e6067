import type { Client } from '@temporalio/client';
import { ConflictError, NotFoundError } from '../lib/errors';
import type { Store } from '../store';
import type { SubscriptionDoc, SubscriptionPage } from '../store/contract/sequences';
import { ExitReason, exitRuns } from './exits';
import { findSequence } from './read';

/** A sequence's subscriptions by contact id, a page at a time. */
export async function listSubscribers(
  deps: { store: Store },
  orgId: string,
  id: string,
  page: SubscriptionPage,
): Promise<SubscriptionDoc[]> {
  const seq = await findSequence(deps, orgId, id);
  return deps.store.sequenceSubscriptions.list(seq._id, page);
}

/** Ends a contact's running subscription at once; returns it as it ended. */
export async function unsubscribeContact(
  deps: { store: Store; temporal: Client },
  orgId: string,
  id: string,
  contactId: string,
): Promise<SubscriptionDoc> {
  const { store } = deps;
  const seq = await findSequence(deps, orgId, id);
  const sub = await store.sequenceSubscriptions.get(seq._id, contactId);
  if (!sub) throw new NotFoundError(`Contact '${contactId}' is not subscribed to this sequence`);
  const ended = await exitRuns(
    store,
    deps.temporal,
    { orgId, sequenceId: seq._id, contactIds: [contactId] },
    ExitReason.unsubscribed,
  );
  if (!ended.length) throw new ConflictError(`The subscription is already ${sub.state}`);
  return (await store.sequenceSubscriptions.get(seq._id, contactId)) ?? sub;
}

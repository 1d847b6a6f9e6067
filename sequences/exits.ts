import type { Client } from '@temporalio/client';
import { mapLimit } from '../lib/concurrency';
import type { Store } from '../store';
import type { EndedRun, ExitMatch } from '../store/contract/sequences';
import { exitSequenceSignal, sequenceWorkflowId } from '../workflows/contracts/sequence';

/** Why a subscription ended early. */
export const ExitReason = {
  replaced: 'replaced',
  sequenceDeleted: 'sequence_deleted',
  contactDeleted: 'contact_deleted',
  optedOut: 'opted_out',
  unsubscribed: 'unsubscribed',
  replied: 'replied',
  tag: (tag: string) => `tag_added:${tag}`,
} as const;

const SIGNALS_IN_FLIGHT = 8;

/**
 * Ends the running subscriptions the match finds: the store first (what every step checks),
 * then a signal to each one's workflow so it stops sleeping. A signal that fails (the workflow
 * already closed, or not started yet) changes nothing: the store already says it ended.
 */
export async function exitRuns(
  store: Store,
  client: Client | null,
  match: ExitMatch,
  reason: string,
): Promise<EndedRun[]> {
  const ended = await store.sequenceSubscriptions.exit(match, reason);
  if (client) await signalExits(client, ended, reason);
  return ended;
}

export async function signalExits(client: Client, runs: EndedRun[], reason: string) {
  await mapLimit(runs, SIGNALS_IN_FLIGHT, (r) =>
    client.workflow
      .getHandle(sequenceWorkflowId(r.sequence_id, r.contact_id))
      .signal(exitSequenceSignal, reason)
      .catch(() => undefined),
  );
}

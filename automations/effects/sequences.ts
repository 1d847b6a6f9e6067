import { ExitReason, exitRuns } from '../../sequences/exits';
import type { Store } from '../../store';
import { StepFailure, type EffectStep, type StepResult, type StepScope } from '../effects';
import type { EffectDeps } from './deps';

type SubscribeStep = Extract<EffectStep, { type: 'subscribe_sequence' }>;
type UnsubscribeStep = Extract<EffectStep, { type: 'unsubscribe_sequence' }>;

async function sequenceOf(store: Store, orgId: string, id: string) {
  const seq = await store.sequences.get(orgId, id);
  if (!seq) throw new StepFailure(`Sequence '${id}' not found`);
  return seq;
}

/** Subscribes the contact under the sequence's re-entry rule. */
export async function subscribeSequence(
  { store, kickSequences }: EffectDeps,
  scope: StepScope,
  step: SubscribeStep,
): Promise<StepResult> {
  const { run, contact, at } = scope;
  const seq = await sequenceOf(store, run.org_id, step.sequence_id);
  const subscribed = (n: number): StepResult => ({
    outcome: 'subscribed',
    detail: { sequence_id: seq._id, run: n },
  });
  // The step tried again finds the subscription it made (this step's time): subscribing
  // again would restart a sequence whose re-entry rule is `always`.
  const prior = await store.sequenceSubscriptions.get(seq._id, contact._id);
  if (prior?.source === 'automation' && prior.subscribed_at.getTime() === at.getTime()) {
    return subscribed(prior.run);
  }
  const [r] = await store.sequenceSubscriptions.subscribe(seq, [contact._id], 'automation', at);
  switch (r!.outcome) {
    case 'subscribed':
    case 'restarted':
      kickSequences?.();
      return subscribed(r!.run!);
    case 'already_subscribed':
      return { outcome: 'already_subscribed', detail: { sequence_id: seq._id } };
    case 'opted_out':
      throw new StepFailure('The contact has opted out');
    case 'contact_not_found':
      throw new StepFailure('The contact was deleted');
  }
}

/** Ends the contact's run of the sequence, if it has one. */
export async function unsubscribeSequence(
  { store, temporal }: EffectDeps,
  scope: StepScope,
  step: UnsubscribeStep,
): Promise<StepResult> {
  const ended = await exitRuns(
    store,
    temporal,
    { orgId: scope.run.org_id, sequenceId: step.sequence_id, contactIds: [scope.contact._id] },
    ExitReason.unsubscribed,
  );
  return {
    outcome: 'unsubscribed',
    detail: { sequence_id: step.sequence_id, ended: ended.length },
  };
}

/** What a (un)subscribe step would do; a sequence that is gone fails it as it would. */
export async function previewSequence(
  store: Store,
  scope: StepScope,
  step: SubscribeStep | UnsubscribeStep,
): Promise<StepResult> {
  if (step.type === 'unsubscribe_sequence') {
    return {
      outcome: 'unsubscribed',
      detail: { would: 'unsubscribe', sequence_id: step.sequence_id },
    };
  }
  await sequenceOf(store, scope.run.org_id, step.sequence_id);
  return { outcome: 'subscribed', detail: { would: 'subscribe', sequence_id: step.sequence_id } };
}

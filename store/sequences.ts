import { randomUUID } from 'node:crypto';
import type {
  NewSequence,
  SequenceDefinition,
  SequenceDoc,
  SequenceVersionDoc,
  SubscriptionDoc,
  SubscriptionState,
} from './contract/sequences';

export const sequenceVersionId = (sequenceId: string, version: number) =>
  `${sequenceId}:${version}`;

export const subscriptionId = (sequenceId: string, contactId: string) =>
  `${sequenceId}:${contactId}`;

export const definitionOf = (input: NewSequence | SequenceDoc): SequenceDefinition => ({
  account_id: input.account_id,
  steps: input.steps,
  schedule: input.schedule,
  reentry: input.reentry,
  exit: input.exit,
});

export function newSequence(orgId: string, input: NewSequence, at = new Date()): SequenceDoc {
  return {
    _id: randomUUID(),
    org_id: orgId,
    name: input.name,
    keywords: input.keywords,
    ...definitionOf(input),
    version: 1,
    created_at: at,
    updated_at: at,
  };
}

export function versionDoc(seq: SequenceDoc, at = new Date()): SequenceVersionDoc {
  return {
    _id: sequenceVersionId(seq._id, seq.version),
    org_id: seq.org_id,
    sequence_id: seq._id,
    version: seq.version,
    definition: definitionOf(seq),
    created_at: at,
  };
}

/** A contact's new run of the sequence, recorded before its workflow starts. */
export function newRun(
  seq: SequenceDoc,
  contact: { _id: string; phone_number: string | null; timezone: string | null },
  run: number,
  source: SubscriptionDoc['source'],
  at: Date,
): SubscriptionDoc {
  return {
    _id: subscriptionId(seq._id, contact._id),
    org_id: seq.org_id,
    sequence_id: seq._id,
    contact_id: contact._id,
    phone_number: contact.phone_number,
    run,
    version: seq.version,
    state: 'pending',
    step: 0,
    next_step_at: null,
    exit_reason: null,
    exit_tags: seq.exit.tags,
    exit_on_reply: seq.exit.on_reply,
    timezone: contact.timezone,
    source,
    history: [],
    subscribed_at: at,
    started_at: null,
    ended_at: null,
    updated_at: at,
  };
}

/** Whether the re-entry rule lets a contact whose run is in `state` start a new one. */
export function reentryAllows(seq: SequenceDoc, state: SubscriptionState): boolean {
  if (seq.reentry === 'always') return true;
  if (seq.reentry === 'after_completion') return state === 'completed' || state === 'exited';
  return false;
}

export const RUNNING_STATES: SubscriptionState[] = ['pending', 'active'];

export const emptyCounts = (): Record<SubscriptionState, number> => ({
  pending: 0,
  active: 0,
  completed: 0,
  exited: 0,
});

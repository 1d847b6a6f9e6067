import { defineSignal } from '@temporalio/workflow';

/** One contact's run of a drip sequence: `sequence:<sequenceId>:<contactId>`. */

export const SEQUENCE_WORKFLOW = 'sequenceWorkflow';

export const sequenceWorkflowId = (sequenceId: string, contactId: string) =>
  `sequence:${sequenceId}:${contactId}`;

export interface SequenceInput {
  orgId: string;
  sequenceId: string;
  contactId: string;
  run: number;
  /** When its first step is due (epoch ms, the delivery schedule applied). */
  firstAt: number;
}

export interface SequenceStepInput {
  sequenceId: string;
  contactId: string;
  run: number;
  step: number;
  /** The workflow's time (epoch ms): everything the step decides is as of then. */
  at: number;
}

export type SequenceStepResult =
  /** Wait until `at` (epoch ms), then run `step`. */
  | { kind: 'wait'; step: number; at: number }
  | { kind: 'done'; state: 'completed' | 'exited'; reason: string | null };

export interface SequenceOutcome {
  state: 'completed' | 'exited';
  reason: string | null;
}

/** An exit rule was met (opt-out, reply, goal tag, unsubscribed): the run stops at once. */
export const exitSequenceSignal = defineSignal<[string]>('exitSequence');

export type SequenceWorkflow = (input: SequenceInput) => Promise<SequenceOutcome>;

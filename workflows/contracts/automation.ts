import { defineSignal } from '@temporalio/workflow';

/**
 * The timer of an automation's waiting runs: `automation:<automationId>:<contactId>`. A run
 * that replies at once needs none; one that waits (a reply, a delay) arms it with
 * signal-with-start. A reply takes the run in the store without touching Temporal; the timer
 * then finds the wait over and lets it be.
 */

export const AUTOMATION_WORKFLOW = 'automationWorkflow';

export const automationWorkflowId = (automationId: string, contactId: string) =>
  `automation:${automationId}:${contactId}`;

/** A wait of one run: it times out at `until` (epoch ms) unless something took it first. */
export interface AutomationTimer {
  runId: string;
  seq: number;
  until: number;
}

export interface AutomationWorkflowInput {
  automationId: string;
  contactId: string;
  /** Carried across continue-as-new. */
  timer?: AutomationTimer;
}

/** The run waits (again): the newest timer replaces the one held. */
export const armTimerSignal = defineSignal<[AutomationTimer]>('armTimer');
/** The run was cancelled: its timer is dropped. */
export const dropTimerSignal = defineSignal<[string]>('dropTimer');

export interface TimeoutInput {
  runId: string;
  seq: number;
  /** The workflow's time (epoch ms): the run's steps are as of then, on any worker. */
  at: number;
}

/** What a due timer did: the run's next wait, if it waits again. */
export interface TimerOutcome {
  next: AutomationTimer | null;
}

export type AutomationWorkflow = (input: AutomationWorkflowInput) => Promise<void>;

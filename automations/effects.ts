import type {
  AutomationDefinition,
  AutomationRunDoc,
  AutomationStep,
} from '../store/contract/automations';
import type { ContactDoc } from '../store/documents';

/** The steps that do something outside the run: what StepEffects carry out. */
export type EffectStep = Exclude<
  AutomationStep,
  { type: 'wait_for_reply' | 'delay' | 'condition' | 'end' }
>;

export interface StepScope {
  /** The run as it is in memory: its context holds the action values and latest message. */
  run: AutomationRunDoc;
  def: AutomationDefinition;
  contact: ContactDoc;
  /** When the step runs: the workflow's time in a timer's activity, so retries agree. */
  at: Date;
}

export interface StepResult {
  /** What the run's path records: `sent`, `fallback`, `skipped`, `tagged`, `subscribed`... */
  outcome: string;
  detail: Record<string, unknown> | null;
  /** The contact after the step changed it. */
  contact?: ContactDoc;
  /** run_action: the values its result gave (`{{action.<key>}}`). */
  values?: Record<string, string>;
}

/**
 * A step that cannot be done (its template is gone, its action failed, the contact opted out):
 * the run fails with this reason. Anything else thrown is transient and the step is tried again.
 */
export class StepFailure extends Error {}

/**
 * Carries out a run's steps. Each effect is idempotent for (run, step): a step tried again
 * after a crash sends nothing twice (ids derived from both). The real ones write and send;
 * the test's record what would be done and do nothing.
 */
export interface StepEffects {
  run(scope: StepScope, step: EffectStep): Promise<StepResult>;
}

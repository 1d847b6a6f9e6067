import { DomainError } from '../../lib/errors';
import { idFrom } from '../../lib/ids';
import type { EffectStep, StepScope } from '../effects';
import { StepFailure } from '../effects';
import type { RunScope } from '../render';

/** What a step's placeholders read: the contact, the run's action values and latest message. */
export const runScope = ({ contact, run }: StepScope): RunScope => ({
  contact,
  action: run.context.action,
  message: run.context.message,
});

/** The one id of what a step makes (`kind` tells apart what different stores hold). */
export const stepKey = (scope: StepScope, step: EffectStep, kind = 'automation') =>
  idFrom(`${kind}:${scope.run._id}:${step.id}`);

/**
 * Runs `fn`, turning a refusal of the request itself (a 4xx domain error: an invalid value, a
 * missing sequence, a gateway not configured) into the step's failure. A rate limit, and
 * anything else, stays transient: the step is tried again.
 */
export async function refusalsFail<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof DomainError && err.statusCode < 500 && err.statusCode !== 429) {
      throw new StepFailure(err.message);
    }
    throw err;
  }
}

import { Context, log } from '@temporalio/activity';
import { runSequenceStep } from '../sequences/run-step';
import { startAbandonedSubscriptions } from '../sequences/starter';
import { stepAsWritten, type StepMessageSource } from '../sequences/step';
import type { SequenceStepInput, SequenceStepResult } from '../workflows/contracts/sequence';
import type { ActivityDeps } from './deps';

/** What a subscription's workflow does at each due step, and the sweep of unstarted runs. */
export function sequenceActivities(
  {
    store,
    signals,
    config,
    sandbox,
  }: Pick<ActivityDeps, 'store' | 'signals' | 'config' | 'sandbox'>,
  messageSource: StepMessageSource = stepAsWritten,
) {
  return {
    /** Starts the workflows of subscriptions that an API process recorded but did not start. */
    async startPendingSubscriptions(): Promise<number> {
      return startAbandonedSubscriptions({
        store,
        client: () => Context.current().client,
        taskQueue: config.temporal.taskQueue,
        concurrency: config.sequences.startConcurrency,
        log: {
          warn: (obj, msg) => {
            log.warn(msg, { ...obj });
          },
        },
      });
    },

    async runSequenceStep(input: SequenceStepInput): Promise<SequenceStepResult> {
      return runSequenceStep({ store, signals, sandbox, messageSource }, input);
    },
  };
}

export type SequenceActivities = ReturnType<typeof sequenceActivities>;

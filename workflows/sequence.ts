import { condition, proxyActivities, setHandler } from '@temporalio/workflow';
import type { SequenceActivities } from '../activities/sequences';
import { type SequenceInput, type SequenceOutcome, exitSequenceSignal } from './contracts/sequence';

const acts = proxyActivities<SequenceActivities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumInterval: '1 minute' },
});

/**
 * One contact's run of a drip sequence, `sequence:<sequenceId>:<contactId>`. It sleeps on a
 * timer until each step is due (nothing polls; a sleeping run is a timer in Temporal and no
 * memory in a worker), then one activity decides, sends and schedules the next step from the
 * version the run started with. An exit signal ends it at once; the activity checks the same
 * rules against the store before every send, so a lost signal only ends it later.
 */
export async function sequenceWorkflow(input: SequenceInput): Promise<SequenceOutcome> {
  let exited: string | null = null;
  setHandler(exitSequenceSignal, (reason) => {
    exited ??= reason;
  });
  let step = 0;
  let at = input.firstAt;
  for (;;) {
    const wait = at - Date.now();
    if (wait > 0) await condition(() => exited !== null, wait);
    if (exited !== null) return { state: 'exited', reason: exited };
    const r = await acts.runSequenceStep({
      sequenceId: input.sequenceId,
      contactId: input.contactId,
      run: input.run,
      step,
      at: Date.now(),
    });
    if (r.kind === 'done') return { state: r.state, reason: r.reason };
    step = r.step;
    at = r.at;
  }
}

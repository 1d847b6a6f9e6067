import {
  condition,
  continueAsNew,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { AutomationActivities } from '../activities/automations';
import {
  armTimerSignal,
  dropTimerSignal,
  type AutomationTimer,
  type AutomationWorkflowInput,
} from './contracts/automation';

const acts = proxyActivities<AutomationActivities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumInterval: '1 minute' },
});

/** Keeps the history short for a contact that waits on an automation many times. */
const MAX_HISTORY = 2_000;

/**
 * The timer of one automation's waiting run for one contact. It sleeps until the wait's end,
 * then one activity times the wait out (unless a reply took the run first) and says whether
 * the run waits again. A newer wait armed meanwhile replaces the timer; with none left it ends.
 */
export async function automationWorkflow(input: AutomationWorkflowInput): Promise<void> {
  let timer: AutomationTimer | null = input.timer ?? null;
  setHandler(armTimerSignal, (t) => {
    if (!timer || t.runId !== timer.runId || t.seq >= timer.seq) timer = t;
  });
  setHandler(dropTimerSignal, (runId) => {
    if (timer?.runId === runId) timer = null;
  });
  while (timer) {
    const held: AutomationTimer = timer;
    const wait = held.until - Date.now();
    if (wait > 0 && (await condition(() => timer !== held, wait))) continue;
    const { next } = await acts.automationTimeout({
      runId: held.runId,
      seq: held.seq,
      at: Date.now(),
    });
    // A timer armed while the activity ran is newer than what it found.
    if (timer === held) timer = next;
    if (timer && workflowInfo().historyLength > MAX_HISTORY) {
      await continueAsNew<typeof automationWorkflow>({ ...input, timer });
    }
  }
}

import type { AutomationEngine } from '../automations/engine';
import { sweepAutomations, type AutomationSweep } from '../automations/sweep';
import type { Config } from '../lib/config';
import type { Store } from '../store';
import type { TimeoutInput, TimerOutcome } from '../workflows/contracts/automation';

/** What automations' timer workflows and the recovery sweep do. */
export function automationActivities({
  store,
  config,
  automations,
}: {
  store: Store;
  config: Pick<Config, 'sequences'>;
  automations: AutomationEngine;
}) {
  return {
    /** A wait's time is up: its run takes the timeout branch, unless a reply came first. */
    async automationTimeout(input: TimeoutInput): Promise<TimerOutcome> {
      const next = await automations.timeout(input.runId, input.seq, { at: new Date(input.at) });
      return { next: next && { runId: next.runId, seq: next.seq, until: next.until } };
    },

    /** Routes what the live path left behind, and times out waits whose timer was lost. */
    async sweepAutomations(): Promise<AutomationSweep> {
      return sweepAutomations({
        store,
        engine: automations,
        optOutWords: config.sequences.optOutWords,
      });
    },
  };
}

export type AutomationActivities = ReturnType<typeof automationActivities>;

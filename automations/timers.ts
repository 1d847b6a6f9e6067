import type { Client } from '@temporalio/client';
import type { AutomationRunDoc } from '../store/contract/automations';
import {
  AUTOMATION_WORKFLOW,
  armTimerSignal,
  automationWorkflowId,
  dropTimerSignal,
  type AutomationTimer,
  type AutomationWorkflow,
} from '../workflows/contracts/automation';
import type { RunTimer, Timers } from './engine';

/**
 * Waiting runs' timers as Temporal workflows, `automation:<automationId>:<contactId>`: one
 * signal-with-start per wait entered. Null client (no Temporal at hand): nothing is armed, and
 * the overdue sweep times the waits out.
 */
export function temporalTimers(client: () => Client | null, taskQueue: string): Timers {
  return {
    async arm(timer: RunTimer): Promise<void> {
      const c = client();
      if (!c) return;
      await c.workflow.signalWithStart<AutomationWorkflow, [AutomationTimer]>(AUTOMATION_WORKFLOW, {
        workflowId: automationWorkflowId(timer.automationId, timer.contactId),
        taskQueue,
        args: [{ automationId: timer.automationId, contactId: timer.contactId }],
        signal: armTimerSignal,
        signalArgs: [{ runId: timer.runId, seq: timer.seq, until: timer.until }],
      });
    },
    async drop(run: AutomationRunDoc): Promise<void> {
      const c = client();
      if (!c) return;
      await c.workflow
        .getHandle(automationWorkflowId(run.automation_id, run.contact_id))
        .signal(dropTimerSignal, run._id);
    },
  };
}

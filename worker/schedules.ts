import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import {
  cleanupWorkflowId,
  recoveryWorkflowId,
  scheduleIds,
} from '../workflows/contracts/maintenance';
import { templateSyncIds } from '../workflows/contracts/template-sync';

export interface ScheduleIntervals {
  cleanupIntervalMinutes: number;
  templateSyncIntervalMinutes: number;
}

/** The periodic jobs: schedule id, workflow, its ID and arguments, and how often. */
function periodicJobs(i: ScheduleIntervals) {
  return [
    {
      id: scheduleIds.recovery,
      workflowType: 'recoveryWorkflow',
      workflowId: recoveryWorkflowId(),
      args: [],
      minutes: 1,
    },
    {
      id: scheduleIds.cleanup,
      workflowType: 'cleanupWorkflow',
      workflowId: cleanupWorkflowId(),
      args: [],
      minutes: i.cleanupIntervalMinutes,
    },
    {
      id: scheduleIds.templateSync,
      workflowType: 'templateSyncWorkflow',
      workflowId: templateSyncIds.all(),
      args: [{}],
      minutes: i.templateSyncIntervalMinutes,
    },
  ];
}

/** Creates the periodic jobs once; later starts leave them (and their history) as they are. */
export async function ensureSchedules(
  client: Client,
  opts: ScheduleIntervals & { taskQueue: string },
): Promise<void> {
  for (const job of periodicJobs(opts)) {
    try {
      await client.schedule.create({
        scheduleId: job.id,
        spec: { intervals: [{ every: `${job.minutes} minutes` }] },
        policies: { overlap: ScheduleOverlapPolicy.SKIP },
        action: {
          type: 'startWorkflow',
          workflowType: job.workflowType,
          workflowId: job.workflowId,
          args: job.args,
          taskQueue: opts.taskQueue,
        },
      });
    } catch (err) {
      if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    }
  }
}

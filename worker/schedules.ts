import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { scheduleIds, workflowIds } from '../workflows/definitions';

/** Creates the periodic jobs once; later starts leave them (and their history) as they are. */
export async function ensureSchedules(
  client: Client,
  opts: { taskQueue: string; cleanupIntervalMinutes: number },
): Promise<void> {
  try {
    await client.schedule.create({
      scheduleId: scheduleIds.cleanup,
      spec: { intervals: [{ every: `${opts.cleanupIntervalMinutes} minutes` }] },
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
      action: {
        type: 'startWorkflow',
        workflowType: 'cleanupWorkflow',
        workflowId: workflowIds.cleanup(),
        taskQueue: opts.taskQueue,
      },
    });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
}

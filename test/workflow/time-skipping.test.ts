import { randomUUID } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { useTimeSkippingWorker } from '../support/time-skipping';
import type { SleepyActivities, sleepyActivities } from '../support/workflows/sleepy-activities';
import type { sleepy } from '../support/workflows/sleepy';

const MINUTE = 60_000;
const taskQueue = 'time-skipping';

const calls: { text: string; attempt: number; local: boolean }[] = [];

const activities: SleepyActivities = {
  async echo(text, failFirst) {
    const { attempt, isLocal } = Context.current().info;
    calls.push({ text, attempt, local: isLocal });
    if (failFirst && attempt === 1) throw new Error(`first attempt at ${text}`);
    return text;
  },
};

const temporal = useTimeSkippingWorker({
  taskQueue,
  workflowsPath: require.resolve('../support/workflows'),
  activities,
});

const options = () => ({ taskQueue, workflowId: `time-skipping-${randomUUID()}` });

// Time is the server's and global to it: these run one at a time, as jest runs a file's tests.
describe('the time-skipping test server', () => {
  it("skips a workflow's timer while the test awaits its result", async () => {
    const before = await temporal.env.currentTimeMs();

    const result = await temporal.env.client.workflow.execute<typeof sleepy>('sleepy', options());

    expect(result.wokeAt - result.startedAt).toBeGreaterThanOrEqual(5 * MINUTE);
    expect((await temporal.env.currentTimeMs()) - before).toBeGreaterThanOrEqual(5 * MINUTE);
  });

  it('skips only on env.sleep while nobody awaits a result', async () => {
    const handle = await temporal.env.client.workflow.start<typeof sleepy>('sleepy', options());
    // Once the timer is in the history, nothing but the test can make it fire.
    for (;;) {
      const { events } = await handle.fetchHistory();
      if (events?.some((e) => e.timerStartedEventAttributes)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect((await handle.describe()).status.name).toBe('RUNNING');

    await temporal.env.sleep('5 minutes');

    const result = await handle.result();
    expect(result.wokeAt - result.startedAt).toBeGreaterThanOrEqual(5 * MINUTE);
  });

  it('runs local and normal activities, retries after minutes included, around a timer', async () => {
    calls.length = 0;

    const result = await temporal.env.client.workflow.execute<typeof sleepyActivities>(
      'sleepyActivities',
      {
        ...options(),
        args: ['hi'],
      },
    );

    expect(result).toMatchObject({ local: 'local hi', remote: 'remote hi' });
    expect(result.endedAt - result.startedAt).toBeGreaterThanOrEqual(9 * MINUTE);
    expect(calls).toEqual([
      { text: 'local hi', attempt: 1, local: true },
      { text: 'local hi', attempt: 2, local: true },
      { text: 'remote hi', attempt: 1, local: false },
      { text: 'remote hi', attempt: 2, local: false },
    ]);
  });
});

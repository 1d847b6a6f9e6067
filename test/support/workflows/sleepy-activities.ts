import { proxyActivities, proxyLocalActivities, sleep } from '@temporalio/workflow';

export interface SleepyActivities {
  /** Returns `text`; fails its first attempt when `failFirst`. */
  echo(text: string, failFirst: boolean): Promise<string>;
}

// Retries wait longer than the local retry threshold (1 minute), so the worker hands the wait to
// the server as a timer, which the time-skipping server skips, as for send-message's long waits.
const local = proxyLocalActivities<SleepyActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '2 minutes', maximumAttempts: 3 },
});
const remote = proxyActivities<SleepyActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '2 minutes', maximumAttempts: 3 },
});

export interface SleepyActivitiesResult {
  local: string;
  remote: string;
  /** Workflow time when it started and when it finished. */
  startedAt: number;
  endedAt: number;
}

/**
 * Test-only: a local activity whose first attempt fails, five minutes on a timer, then a normal
 * activity whose first attempt fails: at least 2 + 5 + 2 minutes of workflow time.
 */
export async function sleepyActivities(text: string): Promise<SleepyActivitiesResult> {
  const startedAt = Date.now();
  const localResult = await local.echo(`local ${text}`, true);
  await sleep('5 minutes');
  const remoteResult = await remote.echo(`remote ${text}`, true);
  return { local: localResult, remote: remoteResult, startedAt, endedAt: Date.now() };
}

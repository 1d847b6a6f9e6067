import { sleep } from '@temporalio/workflow';

export interface SleepyResult {
  /** Workflow time (the server's clock) when it started and when its timer fired. */
  startedAt: number;
  wokeAt: number;
}

/** Test-only: waits five minutes of workflow time on a timer. */
export async function sleepy(): Promise<SleepyResult> {
  const startedAt = Date.now();
  await sleep('5 minutes');
  return { startedAt, wokeAt: Date.now() };
}

import { WORKER_ENV, WORKER_NODE_FLAGS } from '../../worker/process';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { configEnv, type Env } from '../../lib/config';
import { createMessagingHarness, type MessagingHarness } from './messaging';

const WORKER_ENTRY = join(__dirname, '..', '..', 'dist', 'worker', 'main.js');

/**
 * The messaging stack with its worker as real processes (`dist/worker/main.js`), to be killed:
 * claims and lanes change hands within a couple of seconds, and the simulator answers 300 ms
 * after accepting, so a kill leaves some messages accepted but never recorded.
 */
export async function createKillableStack(throughput: number, env: Env = {}) {
  const h: MessagingHarness = await createMessagingHarness({
    env: {
      SEND_CLAIM_LEASE_SECONDS: '2',
      SEND_LANE_LEASE_SECONDS: '1',
      SEND_POLL_MS: '100',
      ...env,
    },
  });
  // The worker processes take the in-process one's place.
  await h.worker.stop();
  await h.app.store.accounts.update(h.account.org_id, h.account._id, { throughput });
  h.sim.setOptions({
    throughputPerNumber: { [h.account.phone_number_id]: throughput },
    answerLatencyMs: 300,
  });
  const children: ChildProcess[] = [];
  return {
    h,
    /** A worker process; with `stdio: 'pipe'`, its output is read from the child's streams. */
    startWorker(opts: { env?: Env; stdio?: 'ignore' | 'pipe' } = {}): ChildProcess {
      const child = spawn(process.execPath, [...WORKER_NODE_FLAGS, WORKER_ENTRY], {
        // The schedules belong to the namespace: other suites on this server keep theirs.
        env: {
          ...configEnv(h.config),
          ...WORKER_ENV,
          LOG_LEVEL: 'silent',
          TEMPORAL_SCHEDULES: 'false',
          WORKER_PORT: '0',
          ...opts.env,
        },
        stdio: opts.stdio ?? 'ignore',
      });
      children.push(child);
      return child;
    },
    async kill(child: ChildProcess) {
      child.kill('SIGKILL');
      if (child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve));
    },
    async close() {
      for (const child of children) child.kill('SIGKILL');
      await h.close();
    },
  };
}

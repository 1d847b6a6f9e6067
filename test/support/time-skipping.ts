import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkerOptions } from '@temporalio/worker';
import { loadConfig } from '../../lib/config';

/**
 * The SDK gives the server 5 s to accept connections, then kills it and fails. The JVM needs
 * about 1 s (2 s cold); a loaded machine can need more, and a new try finds the jars cached.
 */
const START_ATTEMPTS = 3;

/** The wrapper around the Java SDK's test server that `npm run setup` writes. */
function testServerPath(): string {
  const path = join(loadConfig().cacheDir, 'bin', 'temporal-test-server');
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run setup\``);
  return path;
}

/**
 * A Temporal test server of its own (the Java SDK's, started by the SDK) with time skipping:
 * while a test awaits a workflow's result (`env.client.workflow.execute`, `handle.result()`),
 * the server jumps to its next timer whenever no workflow or activity task is running; at other
 * times its clock runs at wall-clock speed, and `env.sleep(ms)` skips ahead. Run workers on
 * `env.nativeConnection` (namespace "default") and call `env.teardown()` when done. Time is global to the server, so
 * give each test file an env of its own and run its workflows one at a time.
 */
export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const path = testServerPath();
  for (let attempt = 1; ; attempt++) {
    try {
      return await TestWorkflowEnvironment.createTimeSkipping({
        server: { executable: { type: 'existing-path', path } },
      });
    } catch (err) {
      if (attempt >= START_ATTEMPTS || !/did not start/i.test(String(err))) throw err;
    }
  }
}

/** The workflows as a path to bundle or, for `workflows/`, the run's bundle (testWorkflowBundle). */
export type TimeSkippingWorkerOptions = Pick<
  WorkerOptions,
  'taskQueue' | 'workflowsPath' | 'workflowBundle' | 'activities'
>;

/**
 * Gives the test file a time-skipping env with a worker running on it: started in `beforeAll`,
 * shut down and torn down in `afterAll`. Read `env` inside tests and hooks, once it is started.
 */
export function useTimeSkippingWorker(options: TimeSkippingWorkerOptions): {
  readonly env: TestWorkflowEnvironment;
} {
  let env: TestWorkflowEnvironment | undefined;
  let worker: Worker | undefined;
  let running: Promise<void>;
  beforeAll(async () => {
    env = await createTimeSkippingEnv();
    worker = await Worker.create({ connection: env.nativeConnection, ...options });
    running = worker.run();
  }, 120_000);
  afterAll(async () => {
    if (worker) {
      worker.shutdown();
      await running;
    }
    await env?.teardown();
  });
  return {
    get env() {
      if (!env) throw new Error('the time-skipping env is not started yet');
      return env;
    },
  };
}

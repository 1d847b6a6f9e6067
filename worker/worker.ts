import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  bundleWorkflowCode,
  DefaultLogger,
  Worker,
  type NativeConnection,
  type WorkerOptions,
} from '@temporalio/worker';
import type { Activities } from '../activities';
import { webhookTaskQueue } from '../workflows/contracts/webhook-delivery';

/** Built by `npm run build`; without it (ts sources) the worker bundles at start. */
export const WORKFLOW_BUNDLE_PATH = join(__dirname, '..', 'workflow-bundle.js');
/** The same with OpenTelemetry's workflow interceptors, for a worker that traces. */
export const TRACED_WORKFLOW_BUNDLE_PATH = join(__dirname, '..', 'workflow-bundle-traced.js');

/** Bundles `workflows/` with these interceptor modules (webpack: a second or more of CPU). */
const bundleWorkflows = (interceptorModules: string[] = []) =>
  bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    workflowInterceptorModules: interceptorModules,
    logger: new DefaultLogger('WARN'),
  });

/** Bundles `workflows/` (with these interceptor modules) into a file; its size in bytes. */
export async function writeWorkflowBundle(
  path: string,
  interceptorModules: string[] = [],
): Promise<number> {
  const { code } = await bundleWorkflows(interceptorModules);
  await writeFile(path, code);
  return code.length;
}

/** What tracing adds to the workers: the workflow interceptors' module and the SDK's options. */
export interface WorkerTracingOptions {
  workflowModule: string;
  interceptors: NonNullable<WorkerOptions['interceptors']>;
  sinks: NonNullable<WorkerOptions['sinks']>;
}

/**
 * The worker for the task queue and, beside it, one for outbound webhooks' workflows (their
 * own task queue, see webhookTaskQueue): a webhook storm's workflow tasks queue up there, never
 * ahead of a message send's. Returned as the first, whose run() and shutdown() run and stop
 * both, so callers keep the SDK's Worker.
 */
export async function createWorker(opts: {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: Activities;
  /**
   * Workflows kept in memory between their tasks. Sleeping ones (sequence subscriptions wait
   * days) beyond it are evicted and replayed from their short histories when they wake, so
   * the worker's memory does not grow with how many sleep. Unset: the SDK's default, which
   * grows with the heap limit.
   */
  maxCachedWorkflows?: number;
  /** Unset: no tracing, and the bundle without its interceptors. */
  tracing?: WorkerTracingOptions;
  /** A bundle already built (tests build one for the whole run); unset: the build's. */
  workflowBundlePath?: string;
}): Promise<Worker> {
  const { tracing } = opts;
  const bundlePath =
    opts.workflowBundlePath ?? (tracing ? TRACED_WORKFLOW_BUNDLE_PATH : WORKFLOW_BUNDLE_PATH);
  const workflowBundle = existsSync(bundlePath)
    ? { codePath: bundlePath }
    : await bundleWorkflows(tracing ? [tracing.workflowModule] : []);
  const create = (taskQueue: string) =>
    Worker.create({
      connection: opts.connection,
      namespace: opts.namespace,
      taskQueue,
      activities: opts.activities,
      workflowBundle,
      maxCachedWorkflows: opts.maxCachedWorkflows,
      interceptors: tracing?.interceptors,
      sinks: tracing?.sinks,
    });
  const [main, webhooks] = await Promise.all([
    create(opts.taskQueue),
    create(webhookTaskQueue(opts.taskQueue)),
  ]);
  const runMain = main.run.bind(main);
  const shutdownMain = main.shutdown.bind(main);
  const stop = (worker: Worker) => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
  };
  return Object.assign(main, {
    async run(): Promise<void> {
      // Either stopping (a signal, a fatal error) stops the other; run() settles with both.
      const both = [runMain(), webhooks.run()].map((running, i) =>
        running.finally(() => stop(i ? main : webhooks)),
      );
      const [first, second] = await Promise.allSettled(both);
      for (const result of [first, second]) if (result?.status === 'rejected') throw result.reason;
    },
    shutdown(): void {
      shutdownMain();
      stop(webhooks);
    },
  });
}

import { writeFile } from 'node:fs/promises';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { WORKFLOW_TRACING_MODULE } from './tracing';
import { TRACED_WORKFLOW_BUNDLE_PATH, WORKFLOW_BUNDLE_PATH } from './worker';

/**
 * Prebundles the workflows so the worker starts without running webpack: once plain, once
 * with OpenTelemetry's workflow interceptors for a worker that traces (the interceptors run
 * inside the bundle, so tracing cannot be switched on in the plain one).
 */
async function main() {
  const bundles = [
    { path: WORKFLOW_BUNDLE_PATH, modules: [] },
    { path: TRACED_WORKFLOW_BUNDLE_PATH, modules: [WORKFLOW_TRACING_MODULE] },
  ];
  for (const { path, modules } of bundles) {
    const { code } = await bundleWorkflowCode({
      workflowsPath: require.resolve('../workflows'),
      workflowInterceptorModules: modules,
      logger: new DefaultLogger('WARN'),
    });
    await writeFile(path, code);
    console.log(`workflow bundle written to ${path} (${(code.length / 1024).toFixed(0)} KiB)`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

import { WORKFLOW_TRACING_MODULE } from './tracing';
import { TRACED_WORKFLOW_BUNDLE_PATH, WORKFLOW_BUNDLE_PATH, writeWorkflowBundle } from './worker';

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
    const bytes = await writeWorkflowBundle(path, modules);
    console.log(`workflow bundle written to ${path} (${(bytes / 1024).toFixed(0)} KiB)`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

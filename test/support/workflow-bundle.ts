import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeWorkflowBundle } from '../../worker/worker';

/**
 * The workflows are bundled once for the whole run, by the global setup, into the run's
 * folder. Each of some thirty suites bundling its own cost seconds of CPU each, and left
 * webpack's modules in the jest worker's heap.
 */
export async function writeTestWorkflowBundle(dir: string): Promise<string> {
  const path = join(dir, 'workflow-bundle.js');
  await writeWorkflowBundle(path);
  return path;
}

/** The run's bundle of `workflows/`, for `Worker.create({ workflowBundle })`. */
export function testWorkflowBundle(): { codePath: string } {
  const codePath = process.env.WAFLOW_TEST_WORKFLOW_BUNDLE ?? '';
  if (!codePath || !existsSync(codePath)) {
    throw new Error(
      'the workflow bundle is missing: run the tests through jest (its global setup)',
    );
  }
  return { codePath };
}

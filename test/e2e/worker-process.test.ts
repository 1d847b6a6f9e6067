import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { waitUntil } from '../support/send-queue';
import { createKillableStack } from '../support/worker-process';

/**
 * The built worker as production runs it: every line it prints is a JSON object, it serves
 * /health and /metrics (the token's, process metrics, the Temporal SDK's).
 */
jest.setTimeout(180_000);

const TOKEN = 'worker-scrape-token';
let stack: Awaited<ReturnType<typeof createKillableStack>>;
let child: ChildProcess;
const lines: string[] = [];

beforeAll(async () => {
  stack = await createKillableStack(80);
  child = stack.startWorker({ env: { LOG_LEVEL: 'info', METRICS_TOKEN: TOKEN }, stdio: 'pipe' });
  createInterface({ input: child.stdout! }).on('line', (line) => lines.push(line));
  child.stderr!.resume();
});

afterAll(() => stack?.close());

const parsed = () =>
  lines.map((line) => {
    try {
      return JSON.parse(line) as Record<string, unknown>;
    } catch {
      return { unparsed: line };
    }
  });

async function workerPort(): Promise<number> {
  let port: number | undefined;
  await waitUntil('the worker serves /health', async () => {
    port = parsed().find((l) => l.msg === 'worker serving /health and /metrics')?.port as number;
    return port !== undefined;
  });
  return port!;
}

it('serves /health and /metrics, logs JSON lines only, and stops on SIGTERM', async () => {
  const { h } = stack;
  const base = `http://127.0.0.1:${await workerPort()}`;
  await waitUntil('the worker is running', async () => (await fetch(`${base}/health`)).ok);
  expect(await (await fetch(`${base}/health`)).json()).toEqual({ status: 'ok' });
  expect((await fetch(`${base}/metrics`)).status).toBe(401);

  // A workflow run on this worker: the template sync the API starts and waits for.
  const sync = await h.call({ method: 'POST', url: '/api/templates/sync', payload: {} });
  expect(sync.statusCode).toBe(200);

  const scrape = async () => {
    const res = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    return res.text();
  };
  const completed = /^temporal_workflow_completed\{.*workflow_type="templateSyncWorkflow".*\} 1$/m;
  await waitUntil('the SDK counted the workflow', async () => completed.test(await scrape()));
  const text = await scrape();
  expect(text).toContain('# TYPE process_cpu_user_seconds_total counter');
  expect(text).toContain('# TYPE nodejs_eventloop_lag_seconds gauge');
  expect(text).toMatch(/^temporal_activity_execution_latency_bucket\{/m);
  expect(text).toMatch(/^temporal_worker_task_slots_available\{/m);

  child.kill('SIGTERM');
  const code = await new Promise((resolve) => child.once('exit', resolve));
  expect(code).toBe(0);
  expect(lines.length).toBeGreaterThan(0);
  const notJson = parsed().filter(
    (l) => typeof l.level !== 'number' || typeof l.time !== 'number' || typeof l.msg !== 'string',
  );
  expect(notJson).toEqual([]);
  // The Temporal SDK's own messages are among them, as JSON.
  expect(parsed().filter((l) => l.sdkComponent === 'worker').length).toBeGreaterThan(0);
});

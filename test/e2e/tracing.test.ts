import { execFileSync, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { waitUntil } from '../support/send-queue';
import { createKillableStack } from '../support/worker-process';

/**
 * With OTEL_EXPORTER_OTLP_ENDPOINT set, one API request that starts a workflow is one trace:
 * the API's request span, then the workflow's and its activities' spans from the worker
 * process, all exported over OTLP/HTTP to a receiver standing for the collector.
 */
jest.setTimeout(180_000);

interface ReceivedSpan {
  service: string;
  name: string;
  traceId: string;
}

/** An OTLP/HTTP receiver on loopback: the JSON export requests the exporter posts. */
async function startReceiver() {
  const spans: ReceivedSpan[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      if (req.url === '/v1/traces' && req.headers['content-type'] === 'application/json') {
        type Attribute = { key: string; value: { stringValue?: string } };
        const request = JSON.parse(body) as {
          resourceSpans: {
            resource: { attributes: Attribute[] };
            scopeSpans: { spans: { name: string; traceId: string }[] }[];
          }[];
        };
        for (const rs of request.resourceSpans) {
          const service = rs.resource.attributes.find((a) => a.key === 'service.name');
          for (const { name, traceId } of rs.scopeSpans.flatMap((s) => s.spans)) {
            spans.push({ service: service?.value.stringValue ?? '', name, traceId });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

let receiver: Awaited<ReturnType<typeof startReceiver>>;
let stack: Awaited<ReturnType<typeof createKillableStack>>;
let worker: ChildProcess;

beforeAll(async () => {
  receiver = await startReceiver();
  const env = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url };
  stack = await createKillableStack(80, env);
  worker = stack.startWorker({ env });
});

afterAll(async () => {
  await stack?.close();
  await receiver?.close();
});

it("continues an API request's trace into the workflow it starts and its activities", async () => {
  const { h } = stack;
  const sync = await h.call({ method: 'POST', url: '/api/templates/sync', payload: {} });
  expect(sync.statusCode).toBe(200);
  // The worker's batch goes out within its 5 s delay; the API's is sent when it closes.
  await waitUntil(
    "the worker's activity span is exported",
    async () => receiver.spans.some((s) => s.name.startsWith('RunActivity:')),
    30_000,
  );
  worker.kill('SIGTERM');
  await new Promise((resolve) => worker.once('exit', resolve));
  await h.app.close();

  const run = receiver.spans.find((s) => s.name === 'RunWorkflow:templateSyncWorkflow');
  expect(run).toBeDefined();
  const trace = receiver.spans.filter((s) => s.traceId === run!.traceId);
  const names = (service: string) => trace.filter((s) => s.service === service).map((s) => s.name);
  expect(names('waflow-api')).toEqual(
    expect.arrayContaining(['POST /api/templates/sync', 'StartWorkflow:templateSyncWorkflow']),
  );
  expect(names('waflow-worker')).toEqual(
    expect.arrayContaining([
      'RunWorkflow:templateSyncWorkflow',
      expect.stringMatching(/^StartActivity:/),
      expect.stringMatching(/^RunActivity:/),
    ]),
  );
});

it("loads none of OpenTelemetry's SDK in the API or the worker while the variable is unset", () => {
  const dist = join(__dirname, '..', '..', 'dist');
  const script = `
    for (const m of ['api/app.js', 'worker/worker.js', 'worker/http.js', 'worker/temporal-runtime.js']) {
      require(${JSON.stringify(dist)} + '/' + m);
    }
    // The API facade is no-op without an SDK (prom-client loads it for exemplars).
    const sdk = /@opentelemetry[\\/](?!api[\\/])|fastify[\\/]otel|interceptors-opentelemetry/;
    const otel = Object.keys(require.cache).filter((f) => sdk.test(f));
    process.stdout.write(JSON.stringify(otel));
    process.exit(0);
  `;
  const loaded = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  expect(JSON.parse(loaded)).toEqual([]);
});

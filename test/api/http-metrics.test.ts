import { createTestApp, type TestApp } from '../support/app';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t?.close());

const metrics = async () => {
  const res = await t.app.inject({ method: 'GET', url: '/metrics' });
  expect(res.statusCode).toBe(200);
  return res.body;
};

/** The histogram's `_count` sample for these labels, 0 when absent. */
function countOf(text: string, labels: string): number {
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`http_request_duration_seconds_count{${labels}} `));
  return line ? Number(line.split(' ')[1]) : 0;
}

describe('/metrics of the API', () => {
  it('has a latency histogram by method, route pattern and status, never the raw URL', async () => {
    const missing = '0123456789abcdef01234567';
    await t.call({ method: 'GET', url: '/api/contacts' });
    await t.call({ method: 'GET', url: '/api/contacts' });
    await t.call({ method: 'GET', url: `/api/contacts/${missing}` });
    await t.call({ method: 'GET', url: `/api/no/such/${missing}` });

    const text = await metrics();
    expect(text).toContain('# TYPE http_request_duration_seconds histogram\n');
    expect(text).toMatch(
      /^http_request_duration_seconds_bucket\{le="0\.005",method="GET",route="\/api\/contacts",status_code="200"\} \d+$/m,
    );
    expect(countOf(text, 'method="GET",route="/api/contacts",status_code="200"')).toBe(2);
    expect(countOf(text, 'method="GET",route="/api/contacts/:id",status_code="404"')).toBe(1);

    expect(countOf(text, 'method="GET",route="unmatched",status_code="404"')).toBe(1);
    expect(text).not.toContain(missing);
  });

  it("has the process's own metrics beside Waflow's", async () => {
    const text = await metrics();
    for (const name of [
      'process_cpu_user_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_seconds',
      'nodejs_heap_size_used_bytes',
      'waflow_send_queue_depth',
    ]) {
      expect(text).toContain(`# TYPE ${name} `);
    }
  });
});

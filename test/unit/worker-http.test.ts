import { startWorkerHttp, type WorkerHttp } from '../../worker/http';

const quiet = { warn() {}, error() {} };

describe("the worker's HTTP server", () => {
  let server: WorkerHttp;
  let running = true;
  const url = (path: string) => `http://127.0.0.1:${server.port}${path}`;

  beforeAll(async () => {
    server = await startWorkerHttp({
      host: '127.0.0.1',
      port: 0,
      token: 'scrape-token',
      running: () => running,
      metrics: () => Promise.resolve('worker_metric 1\n'),
      log: quiet,
    });
  });
  afterAll(() => server.close());

  it('answers /health 200 while the worker runs and 503 once it is stopping', async () => {
    running = true;
    const up = await fetch(url('/health'));
    expect({ status: up.status, body: await up.json() }).toEqual({
      status: 200,
      body: { status: 'ok' },
    });
    running = false;
    const stopping = await fetch(url('/health'));
    expect({ status: stopping.status, body: await stopping.json() }).toEqual({
      status: 503,
      body: { status: 'unavailable' },
    });
  });

  it('serves /metrics only with the metrics token', async () => {
    for (const authorization of [undefined, 'Bearer wrong', 'scrape-token']) {
      const res = await fetch(url('/metrics'), {
        headers: authorization ? { authorization } : {},
      });
      expect({ authorization, status: res.status, body: await res.json() }).toEqual({
        authorization,
        status: 401,
        body: {
          status: 'error',
          code: 'unauthorized',
          message: 'Send the metrics token as Authorization: Bearer <token>',
        },
      });
    }
    const res = await fetch(url('/metrics'), { headers: { authorization: 'Bearer scrape-token' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(await res.text()).toBe('worker_metric 1\n');
  });

  it('answers 404 for other paths and 405 for other methods', async () => {
    expect((await fetch(url('/api/health'))).status).toBe(404);
    const post = await fetch(url('/health'), { method: 'POST' });
    expect({ status: post.status, allow: post.headers.get('allow') }).toEqual({
      status: 405,
      allow: 'GET, HEAD',
    });
  });

  it('serves /metrics without a token when none is configured', async () => {
    const open = await startWorkerHttp({
      host: '127.0.0.1',
      port: 0,
      token: null,
      running: () => true,
      metrics: () => Promise.resolve('m 1\n'),
      log: quiet,
    });
    try {
      const res = await fetch(`http://127.0.0.1:${open.port}/metrics`);
      expect({ status: res.status, body: await res.text() }).toEqual({
        status: 200,
        body: 'm 1\n',
      });
    } finally {
      await open.close();
    }
  });

  it('names WORKER_HOST and WORKER_PORT when it cannot listen', async () => {
    await expect(
      startWorkerHttp({
        host: '127.0.0.1',
        port: server.port,
        token: null,
        running: () => true,
        metrics: () => Promise.resolve(''),
        log: quiet,
      }),
    ).rejects.toThrow(/WORKER_HOST, WORKER_PORT/);
  });
});

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { METRICS_TOKEN_HINT, metricsAllowed } from '../lib/bearer';
import type { Log } from '../lib/log';
import { EXPOSITION_CONTENT_TYPE } from '../metrics/prometheus';

export interface WorkerHttpOptions {
  host: string;
  /** 0: any free port (the bound one is in the result). */
  port: number;
  /** The METRICS_TOKEN bearer token /metrics requires; null: open. */
  token: string | null;
  /** Whether the worker runs: false while it starts and once it is stopping. */
  running(): boolean;
  /** The Prometheus text /metrics answers. */
  metrics(): Promise<string>;
  log: Log;
}

export interface WorkerHttp {
  port: number;
  close(): Promise<void>;
}

const json = (res: ServerResponse, status: number, body: object) => {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
};

const error = (res: ServerResponse, status: number, code: string, message: string) =>
  json(res, status, { message, status: 'error', code });

/**
 * The worker's own HTTP server, for its orchestrator and Prometheus only: `GET /health` (200
 * while it runs, 503 while it starts or stops) and `GET /metrics`, with the API's token.
 */
export async function startWorkerHttp(opts: WorkerHttpOptions): Promise<WorkerHttp> {
  async function handle(req: IncomingMessage, res: ServerResponse) {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/health' && path !== '/metrics') {
      return error(res, 404, 'not_found', `No route ${req.method} ${path}`);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return error(res, 405, 'method_not_allowed', `${path} answers GET only`);
    }
    if (path === '/health') {
      return opts.running()
        ? json(res, 200, { status: 'ok' })
        : json(res, 503, { status: 'unavailable' });
    }
    if (!metricsAllowed(req.headers.authorization, opts.token)) {
      return error(res, 401, 'unauthorized', METRICS_TOKEN_HINT);
    }
    const text = await opts.metrics();
    res.writeHead(200, { 'content-type': EXPOSITION_CONTENT_TYPE });
    res.end(text);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      opts.log.error({ err }, 'worker HTTP request failed');
      if (!res.headersSent) error(res, 500, 'internal', 'The request failed');
      else res.destroy();
    });
  });
  // Scrapers and probes keep connections open: close() must not wait on them.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    const refused = (err: Error) =>
      reject(
        new Error(
          `The worker cannot serve /health and /metrics on ${opts.host}:${opts.port} ` +
            `(WORKER_HOST, WORKER_PORT): ${err.message}`,
        ),
      );
    server.once('error', refused);
    server.listen(opts.port, opts.host, () => {
      server.off('error', refused);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

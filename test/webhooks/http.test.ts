import type { LookupAddress } from 'node:dns';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import {
  DestinationRefused,
  checkDestination,
  parseWebhookUrl,
  type DestinationPolicy,
  type LookupAll,
} from '../../webhooks/destination';
import { createWebhookHttp, type WebhookHttp } from '../../webhooks/http';

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

interface TestServer {
  port: number;
  /** Local address of every connection accepted, i.e. the address the client connected to. */
  connections: string[];
  requests: Received[];
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const ok: Handler = (_req, res) => res.end('ok');

async function startServer(handler: Handler = ok, host = '127.0.0.1'): Promise<TestServer> {
  const connections: string[] = [];
  const requests: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      requests.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      handler(req, res);
    });
  });
  server.on('connection', (socket) => connections.push(socket.localAddress!));
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return {
    port: (server.address() as AddressInfo).port,
    connections,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A lookup answering each call with the next entry of `answers` (the last one repeats). */
function scriptedLookup(answers: string[][], asked: string[] = []): LookupAll {
  return (hostname, _options, callback) => {
    const ips = answers[Math.min(asked.length, answers.length - 1)]!;
    asked.push(hostname);
    const addresses: LookupAddress[] = ips.map((address) => ({
      address,
      family: address.includes(':') ? 6 : 4,
    }));
    callback(null, addresses);
  };
}

const loopbackAllowed: DestinationPolicy = { allowHttp: true, allowedNetworks: ['127.0.0.1/32'] };
const nothingAllowed: DestinationPolicy = { allowHttp: true, allowedNetworks: [] };

const cleanup: (() => Promise<void>)[] = [];

afterEach(async () => {
  await Promise.all(cleanup.splice(0).map((fn) => fn()));
});

async function server(handler?: Handler, host?: string): Promise<TestServer> {
  const started = await startServer(handler, host);
  cleanup.push(() => started.close());
  return started;
}

function client(...args: Parameters<typeof createWebhookHttp>): WebhookHttp {
  const http = createWebhookHttp(...args);
  cleanup.push(() => http.close());
  return http;
}

describe('webhook HTTP client', () => {
  it('posts the body and headers to the receiver, reusing the connection', async () => {
    const receiver = await server();
    const http = client(loopbackAllowed);
    const body = JSON.stringify({ event: 'message.received', id: 'evt_1' });

    const res = await http.post(`http://127.0.0.1:${receiver.port}/hooks/in?x=1`, body, {
      'webhook-id': 'evt_1',
      'webhook-signature': 'v1,abc',
    });

    expect(res).toEqual({
      status: 200,
      retryAfter: null,
      location: null,
      latencyMs: expect.any(Number),
    });
    expect(receiver.requests).toEqual([
      {
        method: 'POST',
        url: '/hooks/in?x=1',
        body,
        headers: expect.objectContaining({
          'content-type': 'application/json',
          'content-length': String(body.length),
          'webhook-id': 'evt_1',
          'webhook-signature': 'v1,abc',
        }),
      },
    ]);
    for (let i = 0; i < 5; i++) {
      await http.post(`http://127.0.0.1:${receiver.port}/hooks/in`, body, {});
    }
    // undici may open a second connection when a request is dispatched in the same tick the
    // first connection finishes, before it reports itself free.
    expect(receiver.connections.length).toBeLessThanOrEqual(2);
  });

  it('resolves host names itself and connects to an allowed answer', async () => {
    const receiver = await server();
    const asked: string[] = [];
    const http = client(loopbackAllowed, { lookup: scriptedLookup([['127.0.0.1']], asked) });

    const res = await http.post(`http://receiver.test:${receiver.port}/`, '{}', {});

    expect(res.status).toBe(200);
    expect(asked).toEqual(['receiver.test']);
    expect(receiver.requests[0]?.headers.host).toBe(`receiver.test:${receiver.port}`);
  });

  it.each(['10.0.0.1', '127.0.0.1', '::1'])(
    'refuses a host name resolving to %s without connecting',
    async (ip) => {
      const receiver = await server();
      const http = client(nothingAllowed, { lookup: scriptedLookup([[ip]]) });

      const attempt = http.post(`http://internal.test:${receiver.port}/`, '{}', {});

      await expect(attempt).rejects.toBeInstanceOf(DestinationRefused);
      await expect(attempt).rejects.toThrow(`webhook host internal.test resolves to ${ip}, a`);
      expect(receiver.connections).toEqual([]);
    },
  );

  it.each(['127.0.0.1', '2130706433', '0x7f.1', '[::1]', '[::ffff:7f00:1]'])(
    'refuses the literal address %s without connecting',
    async (host) => {
      const receiver = await server();
      const http = client(nothingAllowed);

      const attempt = http.post(`http://${host}:${receiver.port}/`, '{}', {});

      await expect(attempt).rejects.toBeInstanceOf(DestinationRefused);
      expect(receiver.connections).toEqual([]);
    },
  );

  it('never connects to a refused address when DNS answers change (rebinding)', async () => {
    // One server on every loopback address: 127.0.0.2 plays the public host the endpoint was
    // checked against, 127.0.0.1 the internal target the attacker's DNS switches to. The server
    // closes each connection, so every delivery resolves and connects afresh.
    const receiver = await server((_req, res) => {
      res.setHeader('connection', 'close');
      res.end('ok');
    }, '0.0.0.0');
    const policy: DestinationPolicy = { allowHttp: true, allowedNetworks: ['127.0.0.2/32'] };
    const asked: string[] = [];
    const lookup = scriptedLookup([['127.0.0.2'], ['127.0.0.2'], ['127.0.0.1']], asked);
    const http = client(policy, { lookup });
    const url = `http://rebind.test:${receiver.port}/`;

    await checkDestination(parseWebhookUrl(url, policy), policy, lookup);
    expect((await http.post(url, '{}', {})).status).toBe(200);
    const rebound = http.post(url, '{}', {});

    await expect(rebound).rejects.toBeInstanceOf(DestinationRefused);
    await expect(rebound).rejects.toThrow('rebind.test resolves to 127.0.0.1, a loopback address');
    expect(asked).toHaveLength(3);
    expect(receiver.connections).toEqual(['127.0.0.2']);
    expect(receiver.requests).toHaveLength(1);
  });

  it('returns a redirect as it is, without following it', async () => {
    const target = await server();
    const location = `http://127.0.0.1:${target.port}/internal`;
    const redirecting = await server((_req, res) => {
      res.writeHead(302, { location });
      res.end();
    });
    const http = client(loopbackAllowed);

    const res = await http.post(`http://127.0.0.1:${redirecting.port}/`, '{}', {});

    expect(res).toMatchObject({ status: 302, location });
    expect(redirecting.requests).toHaveLength(1);
    expect(target.connections).toEqual([]);
  });

  it('exposes Retry-After', async () => {
    const receiver = await server((_req, res) => {
      res.writeHead(429, { 'retry-after': '120' });
      res.end('slow down');
    });
    const http = client(loopbackAllowed);

    const res = await http.post(`http://127.0.0.1:${receiver.port}/`, '{}', {});

    expect(res).toMatchObject({ status: 429, retryAfter: '120', location: null });
  });

  it('bounds the whole request by the timeout', async () => {
    const silent = await server(() => undefined);
    const trickling = await server((_req, res) => {
      res.writeHead(200);
      res.write('partial');
    });
    const http = client(loopbackAllowed, { timeoutMs: 300 });

    for (const port of [silent.port, trickling.port]) {
      const started = Date.now();
      await expect(http.post(`http://127.0.0.1:${port}/`, '{}', {})).rejects.toThrow(
        `webhook POST to 127.0.0.1:${port} timed out after 300 ms`,
      );
      expect(Date.now() - started).toBeLessThan(800);
    }
  });

  it('counts connecting, name resolution included, against the timeout', async () => {
    const http = client(loopbackAllowed, { timeoutMs: 300, lookup: () => undefined });

    const started = Date.now();
    await expect(http.post('http://stuck.test:9/', '{}', {})).rejects.toThrow(
      'webhook POST to stuck.test:9 timed out after 300 ms',
    );
    expect(Date.now() - started).toBeLessThan(800);
  });

  it('reads at most a little of a large response', async () => {
    const receiver = await server((_req, res) => {
      res.writeHead(200);
      res.end(Buffer.alloc(4 * 1024 * 1024, 'x'));
    });
    const http = client(loopbackAllowed);

    const res = await http.post(`http://127.0.0.1:${receiver.port}/`, '{}', {});

    expect(res.status).toBe(200);
    expect((await http.post(`http://127.0.0.1:${receiver.port}/`, '{}', {})).status).toBe(200);
  });

  it('reports a refused connection', async () => {
    const gone = await startServer();
    await gone.close();
    const http = client(loopbackAllowed);

    await expect(http.post(`http://127.0.0.1:${gone.port}/`, '{}', {})).rejects.toThrow(
      `connect ECONNREFUSED 127.0.0.1:${gone.port}`,
    );
  });

  it('says what failed for each address of a host', async () => {
    const gone = await startServer();
    await gone.close();
    const policy: DestinationPolicy = { allowHttp: true, allowedNetworks: ['127.0.0.0/8'] };
    const http = client(policy, { lookup: scriptedLookup([['127.0.0.3', '127.0.0.4']]) });

    await expect(http.post(`http://two.test:${gone.port}/`, '{}', {})).rejects.toThrow(
      `connect to two.test:${gone.port} failed: connect ECONNREFUSED 127.0.0.3:${gone.port}; ` +
        `connect ECONNREFUSED 127.0.0.4:${gone.port}`,
    );
  });

  it('speaks TLS to the host name, not the address it resolved to', async () => {
    const names: string[] = [];
    const tls = createTlsServer({
      SNICallback: (name, done) => {
        names.push(name);
        done(new Error('no certificate here'));
      },
    });
    await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve));
    cleanup.push(() => new Promise((resolve) => tls.close(() => resolve())));
    const { port } = tls.address() as AddressInfo;
    const policy: DestinationPolicy = { allowHttp: false, allowedNetworks: ['127.0.0.1/32'] };
    const http = client(policy, { lookup: scriptedLookup([['127.0.0.1']]) });

    await expect(http.post(`https://webhook.test:${port}/`, '{}', {})).rejects.toThrow();
    expect(names).toEqual(['webhook.test']);
  });

  it('refuses a URL the policy does not allow before anything else', async () => {
    const http = client({ allowHttp: false, allowedNetworks: [] });

    await expect(http.post('http://hooks.example.com/', '{}', {})).rejects.toThrow(
      new DestinationRefused('url must use https'),
    );
  });
});

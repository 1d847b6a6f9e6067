import { Agent, request } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { buildApp } from '../../api/app';
import { testConfig } from '../support/config';

/**
 * Closing the API while it answers: close waits for the answers, then for nothing. Fastify
 * keeps idle connections alive for 72 s, longer than these tests' timeout; without the closing
 * plugin, each close below waits for that.
 */
jest.setTimeout(30_000);

/**
 * Calls the app on a connection the client keeps alive, as a provider's does between webhooks;
 * resolves with the answer's headers and body.
 */
function get(agent: Agent, port: number, path: string) {
  return new Promise<{ connection: string | undefined; body: string }>((resolve, reject) => {
    request({ port, path, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ connection: res.headers.connection, body }));
    })
      .on('error', reject)
      .end();
  });
}

const agent = new Agent({ keepAlive: true });
afterAll(() => agent.destroy());

/** Routes of this test only, open as the provider webhooks are. */
const open = { public: true, rateLimit: false };

/** The server closes its socket once the close hooks before it have run. */
async function stoppedListening(app: FastifyInstance) {
  while (app.server.listening) await new Promise((resolve) => setTimeout(resolve, 5));
}

/** The app on loopback, with two routes that hold their answer until released. */
async function listening() {
  const app = await buildApp(testConfig(), { logger: false });
  let arrived = () => {};
  const arrival = new Promise<void>((resolve) => (arrived = resolve));
  let release = () => {};
  const released = new Promise<void>((resolve) => (release = resolve));
  app.get('/test/slow', { config: open }, async () => {
    arrived();
    await released;
    return { answered: true };
  });
  app.get('/test/stream', { config: open }, (_request, reply) => {
    const body = new PassThrough();
    void reply.header('content-type', 'text/plain').send(body);
    body.write('first ');
    arrived();
    void released.then(() => body.end('last'));
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, port: (app.server.address() as AddressInfo).port, arrival, release };
}

/**
 * Calls `path` and, once the app is answering it, closes the app and lets the answer end. The
 * close resolves only when every connection is ended.
 */
async function closeWhileAnswering(path: string) {
  const { app, port, arrival, release } = await listening();
  const answer = get(agent, port, path);
  await arrival;
  const closed = app.close();
  await stoppedListening(app);
  release();
  return { answer: await answer, closed };
}

it('answers a request in flight, asking its client to close, and closes without waiting', async () => {
  const { answer, closed } = await closeWhileAnswering('/test/slow');
  expect(answer).toEqual({ connection: 'close', body: '{"answered":true}' });
  await closed;
});

it('ends a connection whose answer began before closing once the answer is done', async () => {
  const { answer, closed } = await closeWhileAnswering('/test/stream');
  // Its headers went out before the close: they promised to keep the connection alive.
  expect(answer).toEqual({ connection: 'keep-alive', body: 'first last' });
  await closed;
});

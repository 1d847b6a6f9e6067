import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/** How often connections that finished answering are looked for while the server closes. */
const SWEEP_MS = 50;

/**
 * Node's `server.close()` ends the connections idle at that moment, not those answering a
 * request (a provider's webhook, as a rolling deploy stops the process): once answered, they
 * stay open for `keepAliveTimeout` (72 s in Fastify), and close waits for them past any
 * orchestrator's grace period. While closing, every answer asks its client to close the
 * connection, and connections left idle are ended as they become so.
 */
export const closingPlugin = fp(
  (app: FastifyInstance) => {
    let closing = false;
    app.addHook('preClose', (done) => {
      closing = true;
      const sweep = setInterval(() => app.server.closeIdleConnections(), SWEEP_MS).unref();
      app.server.once('close', () => clearInterval(sweep));
      done();
    });
    // A callback hook: an async one would cost every request a promise.
    app.addHook('onSend', (_request, reply, payload, done) => {
      if (closing) void reply.header('connection', 'close');
      done(null, payload);
    });
  },
  { name: 'closing' },
);

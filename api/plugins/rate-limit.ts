import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { LoginThrottle } from '../../accounts/login-throttle';
import { RateLimitedError } from '../../lib/errors';
import { RateLimiter } from '../rate-limiter';

declare module 'fastify' {
  interface FastifyInstance {
    /** Every limit of the API, shared with its other processes through the store. */
    rateLimiter: RateLimiter;
    /** Failed logins per email, besides the limit per client address. */
    loginThrottle: LoginThrottle;
  }
}

/** Per API key (or user, or client address when unauthenticated); headers on every answer. */
export const rateLimitPlugin = fp(
  (app: FastifyInstance, opts: { now?: () => number }) => {
    const limiter = new RateLimiter(app.store.rateWindows, {
      now: opts.now,
      onStoreError: (err) =>
        app.log.warn({ err }, 'rate limits: the store did not answer; counting in this process'),
    });
    app.decorate('rateLimiter', limiter);
    app.decorate(
      'loginThrottle',
      new LoginThrottle(app.store.loginFailures, app.config.auth.loginFailures, opts.now),
    );
    const defaults = app.config.rateLimit;

    app.addHook('onRequest', async (request, reply) => {
      if (request.routeOptions.config.rateLimit === false) return;
      const p = request.principal;
      const id = !p
        ? `ip:${request.ip}`
        : p.kind === 'api_key'
          ? `key:${p.keyId}`
          : `user:${p.userId}`;
      const hit = limiter.hit(id, p?.kind === 'api_key' ? p.rateLimit : defaults);
      const decision = hit instanceof Promise ? await hit : hit;
      void reply.headers({
        'x-ratelimit-limit': decision.limit,
        'x-ratelimit-remaining': decision.remaining,
        'x-ratelimit-reset': decision.reset,
      });
      if (!decision.allowed) throw new RateLimitedError(decision.retryAfter);
    });
  },
  { name: 'rate-limit', dependencies: ['auth'] },
);

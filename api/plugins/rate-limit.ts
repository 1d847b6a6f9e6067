import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { LoginThrottle } from '../../accounts/login-throttle';
import { RateLimitedError } from '../../lib/errors';
import { RateLimiter } from '../rate-limiter';

declare module 'fastify' {
  interface FastifyInstance {
    /** Failed logins per email, besides the limit per client address. */
    loginThrottle: LoginThrottle;
  }
}

/** Per API key (or user, or client address when unauthenticated); headers on every answer. */
export const rateLimitPlugin = fp(
  (app: FastifyInstance, opts: { now?: () => number }) => {
    const limiter = new RateLimiter(opts.now);
    app.decorate('loginThrottle', new LoginThrottle(app.config.auth.loginFailures, opts.now));
    const defaults = app.config.rateLimit;

    app.addHook('onRequest', async (request, reply) => {
      if (request.routeOptions.config.rateLimit === false) return;
      const p = request.principal;
      const id = !p
        ? `ip:${request.ip}`
        : p.kind === 'api_key'
          ? `key:${p.keyId}`
          : `user:${p.userId}`;
      const decision = limiter.hit(id, p?.kind === 'api_key' ? p.rateLimit : defaults);
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

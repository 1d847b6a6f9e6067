import cookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { UnauthorizedError } from '../../lib/errors';
import { API_KEY_PREFIX } from '../../store/api-keys';
import type { ApiKeyDoc } from '../../store/documents';
import { TtlCache } from '../../lib/ttl-cache';
import type { Principal } from '../types';

export const SESSION_COOKIE = 'waflow_session';

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * Recently resolved API keys, so that authenticating costs no database round trip on every
     * request. Revoking in this process evicts at once; other replicas see it within the TTL.
     */
    apiKeyCache: TtlCache<string, ApiKeyDoc | null>;
    setSessionCookie(reply: FastifyReply, token: string, expires: Date): void;
    clearSessionCookie(reply: FastifyReply): void;
  }
}

const TOUCH_EVERY_MS = 60_000;

/**
 * Resolves `X-API-Key` or the session cookie to a principal on every request (onRequest),
 * then refuses unauthenticated requests to protected routes before their body is read
 * (preParsing). The rate limiter runs between the two so failed attempts are limited too.
 */
export const authPlugin = fp(
  async (app: FastifyInstance) => {
    await app.register(cookie);
    const { cacheTtlMs, cookieSecure } = app.config.auth;
    const cache = new TtlCache<string, ApiKeyDoc | null>(cacheTtlMs);
    app.decorate('apiKeyCache', cache);
    app.decorateRequest('principal', null);
    app.decorateRequest('authFailure', null);

    app.decorate('setSessionCookie', (reply: FastifyReply, token: string, expires: Date) => {
      void reply.setCookie(SESSION_COOKIE, token, {
        path: '/api',
        httpOnly: true,
        sameSite: 'strict',
        secure: cookieSecure,
        expires,
      });
    });
    app.decorate('clearSessionCookie', (reply: FastifyReply) => {
      void reply.clearCookie(SESSION_COOKIE, { path: '/api' });
    });

    const lookupKey = (key: string) =>
      cache.getOrLoad(key, async () => {
        const doc = key.startsWith(API_KEY_PREFIX) ? await app.store.apiKeys.findByKey(key) : null;
        if (
          doc &&
          (!doc.last_used_at || Date.now() - doc.last_used_at.getTime() > TOUCH_EVERY_MS)
        ) {
          app.store.apiKeys
            .touch(doc._id)
            .catch((err: unknown) => app.log.warn({ err }, 'touch failed'));
        }
        return doc;
      });

    const { rateLimit: defaults, apiKeyMaxRate: max } = app.config;
    const resolve = async (request: FastifyRequest): Promise<Principal | string> => {
      const header = request.headers['x-api-key'];
      if (header !== undefined) {
        const key = Array.isArray(header) ? header[0] : header;
        const doc = key ? await lookupKey(key) : null;
        if (!doc) return 'Invalid API key';
        if (doc.revoked_at) return 'Invalid API key: it has been revoked';
        if (doc.expires_at && doc.expires_at.getTime() <= Date.now())
          return 'Invalid API key: it has expired';
        return {
          kind: 'api_key',
          orgId: doc.org_id,
          keyId: doc._id,
          // Keys made before the ceiling was lowered get it too.
          rateLimit: {
            perMinute: Math.min(doc.rate_limit?.per_minute ?? defaults.perMinute, max.perMinute),
            perSecond: Math.min(doc.rate_limit?.per_second ?? defaults.perSecond, max.perSecond),
          },
        };
      }
      const token = request.cookies[SESSION_COOKIE];
      if (token) {
        const session = await app.store.sessions.findActive(token);
        if (!session) return 'Session expired or invalid: log in again';
        return {
          kind: 'session',
          orgId: session.org_id,
          userId: session.user_id,
          sessionId: session._id,
        };
      }
      return 'Missing API key: send it in the X-API-Key header';
    };

    app.addHook('onRequest', async (request) => {
      if (request.routeOptions.config.public) return;
      const result = await resolve(request);
      if (typeof result === 'string') request.authFailure = result;
      else request.principal = result;
    });

    app.addHook('preParsing', async (request) => {
      if (request.routeOptions.config.public || request.principal) return;
      throw new UnauthorizedError(request.authFailure ?? 'Unauthorized');
    });
  },
  { name: 'auth', dependencies: ['store'] },
);

import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { login, logout } from '../../accounts/sessions';
import { SESSION_COOKIE } from '../plugins/auth';
import { LoginBody, SessionView, WhoAmIView } from '../schemas/auth';
import { envelope, ErrorSchema, ok, protectedErrors } from '../schemas/common';
import { orgOf } from '../types';

export const authRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/api/auth/login',
    {
      config: { public: true },
      schema: {
        tags: ['auth'],
        summary: 'Log in with email and password; sets an HttpOnly session cookie',
        security: [],
        body: LoginBody,
        response: {
          200: envelope(SessionView),
          400: ErrorSchema,
          401: ErrorSchema,
          429: ErrorSchema,
        },
      },
    },
    async (request, reply) => {
      const deps = {
        store: app.store,
        sessionTtlMs: app.config.auth.sessionTtlMs,
        throttle: app.loginThrottle,
      };
      const { user, session, token } = await login(deps, request.body);
      app.setSessionCookie(reply, token, session.expires_at);
      return ok({
        user: { id: user._id, email: user.email, name: user.name },
        organization_id: user.org_id,
        expires_at: session.expires_at.toISOString(),
      });
    },
  );

  app.post(
    '/api/auth/logout',
    {
      schema: {
        tags: ['auth'],
        summary: 'End the current session',
        response: { 200: envelope(z.object({ logged_out: z.boolean() })), ...protectedErrors },
      },
    },
    async (request, reply) => {
      const loggedOut = await logout({ store: app.store }, request.cookies[SESSION_COOKIE]);
      app.clearSessionCookie(reply);
      return ok({ logged_out: loggedOut });
    },
  );

  app.get(
    '/api/auth/me',
    {
      schema: {
        tags: ['auth'],
        summary: 'Who the request is authenticated as',
        response: { 200: envelope(WhoAmIView), ...protectedErrors },
      },
    },
    (request) => {
      const p = request.principal!;
      return ok({
        organization_id: orgOf(p),
        principal:
          p.kind === 'api_key'
            ? { kind: 'api_key' as const, key_id: p.keyId }
            : { kind: 'session' as const, user_id: p.userId },
      });
    },
  );
};

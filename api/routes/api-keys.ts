import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { NotFoundError, ValidationError } from '../../lib/errors';
import { apiKeyView, ApiKeyView, CreateApiKeyBody, CreatedApiKeyView } from '../schemas/api-keys';
import { envelope, ErrorSchema, IdParams, ok, protectedErrors } from '../schemas/common';
import { orgOf } from '../types';

export const apiKeyRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/api/api-keys',
    {
      schema: {
        tags: ['api-keys'],
        summary: 'Create an API key; the key is in this answer only',
        body: CreateApiKeyBody,
        response: { 201: envelope(CreatedApiKeyView), 400: ErrorSchema, ...protectedErrors },
      },
    },
    async (request, reply) => {
      const { name, expires_at, rate_limit } = request.body;
      const expiresAt = expires_at ? new Date(expires_at) : null;
      if (expiresAt && expiresAt.getTime() <= Date.now()) {
        throw new ValidationError('expires_at must be in the future');
      }
      const { doc, key } = await app.store.apiKeys.create(orgOf(request.principal), {
        name,
        expiresAt,
        rateLimit: rate_limit ?? null,
      });
      return reply.code(201).send(ok({ ...apiKeyView(doc), key }));
    },
  );

  app.get(
    '/api/api-keys',
    {
      schema: {
        tags: ['api-keys'],
        summary: "List the organization's API keys (never their secrets)",
        response: {
          200: envelope(z.object({ api_keys: z.array(ApiKeyView) })),
          ...protectedErrors,
        },
      },
    },
    async (request) => {
      const docs = await app.store.apiKeys.list(orgOf(request.principal));
      const now = new Date();
      return ok({ api_keys: docs.map((d) => apiKeyView(d, now)) });
    },
  );

  app.delete(
    '/api/api-keys/:id',
    {
      schema: {
        tags: ['api-keys'],
        summary: 'Revoke an API key; it stops working at once',
        params: IdParams,
        response: {
          200: envelope(ApiKeyView),
          400: ErrorSchema,
          404: ErrorSchema,
          ...protectedErrors,
        },
      },
    },
    async (request) => {
      const doc = await app.store.apiKeys.revoke(orgOf(request.principal), request.params.id);
      if (!doc) throw new NotFoundError(`API key '${request.params.id}' not found`);
      app.apiKeyCache.deleteWhere((cached) => cached?._id === doc._id);
      return ok(apiKeyView(doc));
    },
  );
};

import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createApiKey, listApiKeys, revokeApiKey } from '../../accounts/api-keys';
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
      const orgId = orgOf(request.principal);
      const deps = { store: app.store, maxRate: app.config.apiKeyMaxRate };
      const { doc, key } = await createApiKey(deps, orgId, request.body);
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
      const docs = await listApiKeys({ store: app.store }, orgOf(request.principal));
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
      const deps = { store: app.store, cache: app.apiKeyCache };
      const doc = await revokeApiKey(deps, orgOf(request.principal), request.params.id);
      return ok(apiKeyView(doc));
    },
  );
};

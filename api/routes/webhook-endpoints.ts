import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  listWebhookEndpoints,
  rotateWebhookSecret,
  updateWebhookEndpoint,
  webhookEndpointOf,
} from '../../webhooks/endpoints';
import {
  envelope,
  ErrorSchema,
  IdempotencyKeyHeaders,
  IdParams,
  ok,
  protectedErrors,
} from '../schemas/common';
import {
  CreatedWebhookEndpointView,
  CreateWebhookEndpointBody,
  UpdateWebhookEndpointBody,
  WebhookEndpointView,
  webhookEndpointView,
  WebhookSecret,
} from '../schemas/webhook-endpoints';
import { orgOf } from '../types';

export const webhookTags = ['webhook endpoints'];
const tags = webhookTags;

export const webhookEndpointRoutes: FastifyPluginAsyncZod = async (app) => {
  const { store } = app;
  const deps = { store, config: app.config, directory: app.webhooks.directory };

  app.post(
    '/api/webhook-endpoints',
    {
      schema: {
        tags,
        summary: 'Register a URL for outbound webhooks; the answer holds its secret, once',
        description:
          'Repeating a request with the same Idempotency-Key returns the first endpoint, with ' +
          'its secret.',
        headers: IdempotencyKeyHeaders,
        body: CreateWebhookEndpointBody,
        response: {
          201: envelope(CreatedWebhookEndpointView),
          400: ErrorSchema,
          409: ErrorSchema,
          ...protectedErrors,
        },
      },
    },
    async (request, reply) => {
      const { endpoint, secret } = await createWebhookEndpoint(
        deps,
        orgOf(request.principal),
        request.body,
        request.headers['idempotency-key'],
      );
      return reply.code(201).send(ok({ ...webhookEndpointView(endpoint), secret }));
    },
  );

  app.get(
    '/api/webhook-endpoints',
    {
      schema: {
        tags,
        summary: 'List webhook endpoints',
        response: { 200: envelope(z.array(WebhookEndpointView)), ...protectedErrors },
      },
    },
    async (request) => {
      const endpoints = await listWebhookEndpoints(store, orgOf(request.principal));
      return ok(endpoints.map(webhookEndpointView));
    },
  );

  app.get(
    '/api/webhook-endpoints/:id',
    {
      schema: {
        tags,
        summary: 'Get a webhook endpoint',
        params: IdParams,
        response: {
          200: envelope(WebhookEndpointView),
          400: ErrorSchema,
          404: ErrorSchema,
          ...protectedErrors,
        },
      },
    },
    async (request) =>
      ok(
        webhookEndpointView(
          await webhookEndpointOf(store, orgOf(request.principal), request.params.id),
        ),
      ),
  );

  app.patch(
    '/api/webhook-endpoints/:id',
    {
      schema: {
        tags,
        summary: 'Change name, URL or events, or disable and enable',
        params: IdParams,
        body: UpdateWebhookEndpointBody,
        response: {
          200: envelope(WebhookEndpointView),
          400: ErrorSchema,
          404: ErrorSchema,
          ...protectedErrors,
        },
      },
    },
    async (request) => {
      const updated = await updateWebhookEndpoint(
        deps,
        orgOf(request.principal),
        request.params.id,
        request.body,
      );
      return ok(webhookEndpointView(updated));
    },
  );

  app.delete(
    '/api/webhook-endpoints/:id',
    {
      schema: {
        tags,
        summary: 'Delete a webhook endpoint; its pending retries stop',
        params: IdParams,
        response: {
          200: envelope(z.object({ id: z.uuid(), deleted: z.literal(true) })),
          400: ErrorSchema,
          404: ErrorSchema,
          ...protectedErrors,
        },
      },
    },
    async (request) => {
      const { id } = request.params;
      await deleteWebhookEndpoint(deps, orgOf(request.principal), id);
      return ok({ id, deleted: true as const });
    },
  );

  app.post(
    '/api/webhook-endpoints/:id/rotate-secret',
    {
      schema: {
        tags,
        summary: 'Replace the signing secret; the new one is shown once',
        params: IdParams,
        response: {
          200: envelope(z.object({ id: z.uuid(), secret: WebhookSecret })),
          400: ErrorSchema,
          404: ErrorSchema,
          ...protectedErrors,
        },
      },
    },
    async (request) => {
      const { id } = request.params;
      const secret = await rotateWebhookSecret(deps, orgOf(request.principal), id);
      return ok({ id, secret });
    },
  );
};

import type { FastifyInstance } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { NotFoundError, ValidationError } from '../../lib/errors';
import type { WebhookEndpointDoc } from '../../store/documents';
import { checkDestination, DestinationRefused, parseWebhookUrl } from '../../webhooks/destination';
import { envelope, ErrorSchema, IdParams, ok, protectedErrors } from '../schemas/common';
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
const endpointNotFound = (id: string) => new NotFoundError(`Webhook endpoint '${id}' not found`);

/** The organization's endpoint, or 404. */
export async function endpointOf(
  app: FastifyInstance,
  orgId: string,
  id: string,
): Promise<WebhookEndpointDoc> {
  const endpoint = await app.store.webhookEndpoints.get(orgId, id);
  if (!endpoint) throw endpointNotFound(id);
  return endpoint;
}

/** HTTPS (unless allowed otherwise), and every address it resolves to is public or allowed. */
async function checkedUrl(app: FastifyInstance, raw: string): Promise<string> {
  try {
    const url = parseWebhookUrl(raw, app.config.webhooks);
    await checkDestination(url, app.config.webhooks);
    return url.href;
  } catch (err) {
    if (err instanceof DestinationRefused) throw new ValidationError(err.message);
    throw err;
  }
}

export const webhookEndpointRoutes: FastifyPluginAsyncZod = async (app) => {
  const { store } = app;

  app.post(
    '/api/webhook-endpoints',
    {
      schema: {
        tags,
        summary: 'Register a URL for outbound webhooks; the answer holds its secret, once',
        body: CreateWebhookEndpointBody,
        response: {
          201: envelope(CreatedWebhookEndpointView),
          400: ErrorSchema,
          ...protectedErrors,
        },
      },
    },
    async (request, reply) => {
      const orgId = orgOf(request.principal);
      const { name, events } = request.body;
      const url = await checkedUrl(app, request.body.url);
      const { endpoint, secret } = await store.webhookEndpoints.create(orgId, {
        name,
        url,
        events,
      });
      app.webhooks.directory.invalidate(orgId);
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
      const endpoints = await store.webhookEndpoints.list(orgOf(request.principal));
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
      ok(webhookEndpointView(await endpointOf(app, orgOf(request.principal), request.params.id))),
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
      const orgId = orgOf(request.principal);
      const { id } = request.params;
      const changes = { ...request.body };
      if (changes.url !== undefined) changes.url = await checkedUrl(app, changes.url);
      const updated = await store.webhookEndpoints.update(orgId, id, changes);
      if (!updated) throw endpointNotFound(id);
      app.webhooks.directory.invalidate(orgId);
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
      const orgId = orgOf(request.principal);
      const { id } = request.params;
      if (!(await store.webhookEndpoints.delete(orgId, id))) throw endpointNotFound(id);
      app.webhooks.directory.invalidate(orgId);
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
      const orgId = orgOf(request.principal);
      const { id } = request.params;
      const secret = await store.webhookEndpoints.rotateSecret(orgId, id);
      if (!secret) throw endpointNotFound(id);
      app.webhooks.directory.invalidate(orgId);
      return ok({ id, secret });
    },
  );
};

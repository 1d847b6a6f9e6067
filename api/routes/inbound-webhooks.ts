import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { listDeadWebhooks, replayDeadWebhook } from '../../inbound/dead-webhooks';
import { envelope, ErrorSchema, IdParams, ok, protectedErrors } from '../schemas/common';
import { inboundWebhookView, InboundWebhookView, ListDeadQuery } from '../schemas/inbound-webhooks';
import { orgOf } from '../types';

const tags = ['webhooks'];

/**
 * Webhooks from Meta whose processing failed after every retry: listed to the organization
 * whose numbers they are about, and replayed once what failed them is fixed.
 */
export const inboundWebhookRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/api/inbound-webhooks/dead',
    {
      schema: {
        tags,
        summary: 'Webhooks from Meta parked dead after their last failed attempt, newest first',
        querystring: ListDeadQuery,
        response: {
          200: envelope(z.object({ webhooks: z.array(InboundWebhookView) })),
          400: ErrorSchema,
          ...protectedErrors,
        },
      },
    },
    async (request) => {
      const docs = await listDeadWebhooks(
        { store: app.store },
        orgOf(request.principal),
        request.query.limit,
      );
      return ok({ webhooks: docs.map(inboundWebhookView) });
    },
  );

  app.post(
    '/api/inbound-webhooks/:id/replay',
    {
      schema: {
        tags,
        summary: 'Processes a dead webhook again now; it is retried afresh if this fails too',
        params: IdParams,
        response: {
          200: envelope(InboundWebhookView),
          404: ErrorSchema,
          ...protectedErrors,
        },
      },
    },
    async (request) => {
      const doc = await replayDeadWebhook(
        { store: app.store, inbox: app.inbox },
        orgOf(request.principal),
        request.params.id,
      );
      return ok(inboundWebhookView(doc));
    },
  );
};

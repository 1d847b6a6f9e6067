import { beforeOf, nextCursor } from '../time-cursor';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  type DeliveryWithAttempts,
  getDelivery,
  listDeliveries,
  replayDelivery,
  sendTestEvent,
} from '../../webhooks/deliveries';
import {
  envelope,
  ErrorSchema,
  IdParams,
  NextCursor,
  ok,
  protectedErrors,
} from '../schemas/common';
import {
  DeliveryParams,
  deliveryView,
  DeliveryView,
  ListDeliveriesQuery,
} from '../schemas/webhook-endpoints';
import { orgOf } from '../types';
import { webhookTags as tags } from './webhook-endpoints';

const view = ({ dispatch, attempts, parked }: DeliveryWithAttempts) =>
  deliveryView(dispatch, attempts, parked);

/** An endpoint's deliveries: listed with their attempts, replayed, and test events. */
export const webhookDeliveryRoutes: FastifyPluginAsyncZod = async (app) => {
  const { store } = app;

  app.get(
    '/api/webhook-endpoints/:id/deliveries',
    {
      schema: {
        tags,
        summary: "An endpoint's deliveries, newest first, with every attempt",
        params: IdParams,
        querystring: ListDeliveriesQuery,
        response: {
          200: envelope(
            z.object({
              deliveries: z.array(DeliveryView),
              next_cursor: NextCursor,
            }),
          ),
          400: ErrorSchema,
          404: ErrorSchema,
          ...protectedErrors,
        },
      },
    },
    async (request) => {
      const q = request.query;
      const deliveries = await listDeliveries(store, orgOf(request.principal), request.params.id, {
        limit: q.limit,
        after: beforeOf(q),
      });
      return ok({
        deliveries: deliveries.map(view),
        next_cursor: nextCursor(
          deliveries.map((d) => d.dispatch),
          q.limit,
        ),
      });
    },
  );

  app.get(
    '/api/webhook-endpoints/:id/deliveries/:deliveryId',
    {
      schema: {
        tags,
        summary: 'One delivery with every attempt',
        params: DeliveryParams,
        response: {
          200: envelope(DeliveryView),
          400: ErrorSchema,
          404: ErrorSchema,
          ...protectedErrors,
        },
      },
    },
    async (request) => {
      const { id, deliveryId } = request.params;
      return ok(view(await getDelivery(store, orgOf(request.principal), id, deliveryId)));
    },
  );

  app.post(
    '/api/webhook-endpoints/:id/deliveries/:deliveryId/replay',
    {
      schema: {
        tags,
        summary: 'Send a delivery again, with the same id and body and a fresh retry schedule',
        params: DeliveryParams,
        response: {
          202: envelope(z.object({ id: z.string(), run: z.number().int() })),
          400: ErrorSchema,
          404: ErrorSchema,
          409: ErrorSchema,
          ...protectedErrors,
        },
      },
    },
    async (request, reply) => {
      const { id, deliveryId } = request.params;
      const run = await replayDelivery(
        { store, webhooks: app.webhooks },
        orgOf(request.principal),
        id,
        deliveryId,
      );
      return reply.code(202).send(ok({ id: deliveryId, run }));
    },
  );

  app.post(
    '/api/webhook-endpoints/:id/test',
    {
      schema: {
        tags,
        summary: 'Send a webhook.test event to this endpoint and answer with the first attempt',
        params: IdParams,
        response: {
          200: envelope(DeliveryView),
          400: ErrorSchema,
          404: ErrorSchema,
          409: ErrorSchema,
          ...protectedErrors,
        },
      },
    },
    async (request) => {
      const delivery = await sendTestEvent(
        { store, webhooks: app.webhooks },
        orgOf(request.principal),
        request.params.id,
      );
      return ok(view(delivery));
    },
  );
};

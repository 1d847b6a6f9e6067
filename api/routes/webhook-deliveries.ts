import { beforeOf, nextCursor } from '../time-cursor';
import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ConflictError, NotFoundError } from '../../lib/errors';
import { TEST_EVENT_TYPE } from '../../webhooks/event-types';
import { webhookBody } from '../../webhooks/signing';
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
  type ParkedView,
} from '../schemas/webhook-endpoints';
import type { WebhookAttemptDoc, WebhookEndpointDoc } from '../../store/documents';
import { orgOf } from '../types';
import { endpointOf, webhookTags as tags } from './webhook-endpoints';

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
      const orgId = orgOf(request.principal);
      const { id } = request.params;
      const q = request.query;
      const endpoint = await endpointOf(app, orgId, id);
      const dispatches = await store.webhookDeliveries.listForEndpoint(orgId, id, {
        limit: q.limit,
        after: beforeOf(q),
      });
      const attempts = await store.webhookDeliveries.attemptsOf(
        id,
        dispatches.map((d) => d._id),
      );
      const parked = await parkedIn(endpoint, attempts, dispatches);
      return ok({
        deliveries: dispatches.map((d) =>
          deliveryView(
            d,
            attempts.filter((a) => a.event_id === d._id),
            parked.get(d._id) ?? null,
          ),
        ),
        next_cursor: nextCursor(dispatches, q.limit),
      });
    },
  );

  /**
   * The deliveries among `dispatches` waiting in the endpoint's backlog: each delivery's latest
   * run, or the next (a replay parked before its first attempt).
   */
  async function parkedIn(
    endpoint: WebhookEndpointDoc,
    attempts: WebhookAttemptDoc[],
    dispatches: { _id: string }[],
  ): Promise<Map<string, ParkedView>> {
    const lastRun = new Map<string, number>();
    for (const a of attempts)
      lastRun.set(a.event_id, Math.max(a.run, lastRun.get(a.event_id) ?? 0));
    const ids = dispatches.flatMap((d) => {
      const run = lastRun.get(d._id) ?? 0;
      return [run, run + 1].map((r) => `${endpoint._id}:${d._id}:${r}`);
    });
    const parked = new Map<string, ParkedView>();
    for (const row of await store.webhookBacklog.parkedAmong(ids)) {
      const seen = parked.get(row.event_id);
      if (!seen || seen.run < row.run) {
        parked.set(row.event_id, { run: row.run, nextProbeAt: endpoint.next_probe_at ?? null });
      }
    }
    return parked;
  }

  async function deliveryOf(orgId: string, endpointId: string, deliveryId: string) {
    const endpoint = await endpointOf(app, orgId, endpointId);
    const dispatch = await store.webhookDeliveries.dispatch(deliveryId);
    if (!dispatch || dispatch.org_id !== orgId || !dispatch.endpoint_ids.includes(endpointId)) {
      throw new NotFoundError(`Delivery '${deliveryId}' not found for this endpoint`);
    }
    const attempts = await store.webhookDeliveries.attemptsOf(endpointId, [deliveryId]);
    return { endpoint, dispatch, attempts };
  }

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
      const { endpoint, dispatch, attempts } = await deliveryOf(
        orgOf(request.principal),
        id,
        deliveryId,
      );
      const parked = await parkedIn(endpoint, attempts, [dispatch]);
      return ok(deliveryView(dispatch, attempts, parked.get(dispatch._id) ?? null));
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
      const orgId = orgOf(request.principal);
      const { id, deliveryId } = request.params;
      const { endpoint, dispatch, attempts } = await deliveryOf(orgId, id, deliveryId);
      if (endpoint.status === 'disabled') {
        throw new ConflictError('The endpoint is disabled: enable it before replaying');
      }
      const run = Math.max(0, ...attempts.map((a) => a.run)) + 1;
      const started = await app.webhooks.replay({
        orgId,
        endpointId: id,
        eventId: dispatch._id,
        eventType: dispatch.event_type,
        body: dispatch.body,
        run,
        attempt: 1,
        waitMs: 0,
      });
      if (!started) {
        throw new ConflictError('This delivery is still being retried: replay it once it ends');
      }
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
      const orgId = orgOf(request.principal);
      const { id } = request.params;
      const endpoint = await endpointOf(app, orgId, id);
      if (endpoint.status === 'disabled') {
        throw new ConflictError('The endpoint is disabled: enable it before testing');
      }
      app.webhooks.directory.invalidate(orgId);
      const now = new Date();
      const dispatch = {
        _id: `${TEST_EVENT_TYPE}:${randomUUID()}`,
        org_id: orgId,
        event_type: TEST_EVENT_TYPE,
        body: webhookBody({
          type: TEST_EVENT_TYPE,
          timestamp: now,
          data: { endpoint_id: id, message: 'This is a test event from Waflow' },
        }),
        endpoint_ids: [id],
        created_at: now,
      };
      // Sent even while the endpoint is failing: it is how one checks that it answers again.
      const reports = await app.webhooks.dispatcher.claimAndDeliver([dispatch]);
      const held = reports.some((r) => r.result.outcome === 'held');
      return ok(
        deliveryView(
          dispatch,
          reports.map((r) => r.record),
          held ? { run: 0, nextProbeAt: endpoint.next_probe_at ?? null } : null,
        ),
      );
    },
  );
};

import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { listMetaEvents } from '../../inbound/meta-events';
import { envelope, ErrorSchema, ok, protectedErrors } from '../schemas/common';
import { ListMetaEventsQuery, MetaEventList, metaEventView } from '../schemas/meta-events';
import { nextCursor } from '../time-cursor';
import { orgOf } from '../types';

/** Meta's account-level webhook changes about the organization's accounts, as received. */
export const metaEventRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/api/meta-events',
    {
      schema: {
        tags: ['webhooks'],
        summary:
          "Meta's account-level webhooks (account_update, template status...) and unmatched ones, newest first",
        querystring: ListMetaEventsQuery,
        response: { 200: envelope(MetaEventList), 400: ErrorSchema, ...protectedErrors },
      },
    },
    async (request) => {
      const q = request.query;
      const docs = await listMetaEvents({ store: app.store }, orgOf(request.principal), q);
      return ok({
        events: docs.map(metaEventView),
        next_cursor: nextCursor(
          docs.map((d) => ({ created_at: d.received_at, _id: d._id })),
          q.limit,
        ),
      });
    },
  );
};

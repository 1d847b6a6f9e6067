import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { deleteSequence } from '../../sequences/delete';
import { getSequence, listSequences, type SequenceWithCounts } from '../../sequences/read';
import { createSequence, updateSequence } from '../../sequences/save';
import { subscribeContacts } from '../../sequences/subscribe';
import { listSubscribers, unsubscribeContact } from '../../sequences/subscribers';
import { envelope, ErrorSchema, IdParams, ok, protectedErrors } from '../schemas/common';
import {
  ListSequencesQuery,
  SequenceBody,
  SequenceList,
  sequenceView,
  SequenceView,
  SubscribeBody,
  SubscribeResultView,
  SubscriberPage,
  SubscriberParams,
  SubscribersQuery,
  subscriberView,
  SubscriberView,
} from '../schemas/sequences';
import { beforeOf, nextCursor } from '../time-cursor';
import { orgOf } from '../types';

const viewOf = (s: SequenceWithCounts) => sequenceView(s.doc, s.counts, s.paused_reason);

export const sequenceRoutes: FastifyPluginAsyncZod = async (app) => {
  const { store } = app;
  const triggers = app.sequenceTriggers;

  const errors = { 400: ErrorSchema, 404: ErrorSchema, ...protectedErrors };

  app.post(
    '/api/sequences',
    {
      schema: {
        tags: ['sequences'],
        summary: 'Create a drip sequence',
        body: SequenceBody,
        response: { 201: envelope(SequenceView), ...errors },
      },
    },
    async (request, reply) => {
      const created = await createSequence(
        { store, triggers },
        orgOf(request.principal),
        request.body,
      );
      return reply.code(201).send(ok(viewOf(created)));
    },
  );

  app.get(
    '/api/sequences',
    {
      schema: {
        tags: ['sequences'],
        summary: 'List sequences, newest first, with their subscriber counts',
        querystring: ListSequencesQuery,
        response: { 200: envelope(SequenceList), 400: ErrorSchema, ...protectedErrors },
      },
    },
    async (request) => {
      const q = request.query;
      const found = await listSequences({ store }, orgOf(request.principal), {
        limit: q.limit,
        before: beforeOf(q),
      });
      return ok({
        sequences: found.map(viewOf),
        next_cursor: nextCursor(
          found.map((s) => s.doc),
          q.limit,
        ),
      });
    },
  );

  app.get(
    '/api/sequences/:id',
    {
      schema: {
        tags: ['sequences'],
        summary: 'A sequence with its subscriber counts',
        params: IdParams,
        response: { 200: envelope(SequenceView), ...errors },
      },
    },
    async (request) =>
      ok(viewOf(await getSequence({ store }, orgOf(request.principal), request.params.id))),
  );

  app.put(
    '/api/sequences/:id',
    {
      schema: {
        tags: ['sequences'],
        summary:
          'Replace a sequence (a new version); running subscriptions finish the version they started',
        params: IdParams,
        body: SequenceBody,
        response: { 200: envelope(SequenceView), ...errors },
      },
    },
    async (request) => {
      const updated = await updateSequence(
        { store, triggers },
        orgOf(request.principal),
        request.params.id,
        request.body,
      );
      return ok(viewOf(updated));
    },
  );

  app.delete(
    '/api/sequences/:id',
    {
      schema: {
        tags: ['sequences'],
        summary: 'Delete a sequence; its running subscriptions end',
        params: IdParams,
        response: {
          200: envelope(z.object({ id: z.string(), deleted: z.literal(true), ended: z.number() })),
          ...errors,
        },
      },
    },
    async (request) => {
      const { id, ended } = await deleteSequence(
        { store, temporal: app.temporal, triggers },
        orgOf(request.principal),
        request.params.id,
      );
      return ok({ id, deleted: true as const, ended });
    },
  );

  app.post(
    '/api/sequences/:id/subscribers',
    {
      schema: {
        tags: ['sequences'],
        summary: 'Subscribe contacts (by id, phone number or user id), a result per row',
        description:
          'The subscriptions are recorded before the answer; their workflows start in the ' +
          'background right after. The re-entry rule decides about contacts already subscribed.',
        params: IdParams,
        body: SubscribeBody,
        response: { 200: envelope(SubscribeResultView), ...errors },
      },
    },
    async (request) =>
      ok(
        await subscribeContacts(
          { store, starter: app.sequenceStarter },
          orgOf(request.principal),
          request.params.id,
          request.body,
        ),
      ),
  );

  app.get(
    '/api/sequences/:id/subscribers',
    {
      schema: {
        tags: ['sequences'],
        summary: "A sequence's subscribers: state, current step, next send time, exit reason",
        params: IdParams,
        querystring: SubscribersQuery,
        response: { 200: envelope(SubscriberPage), ...errors },
      },
    },
    async (request) => {
      const q = request.query;
      const rows = await listSubscribers({ store }, orgOf(request.principal), request.params.id, q);
      return ok({
        subscribers: rows.map(subscriberView),
        next_after: rows.length === q.limit ? rows[rows.length - 1]!.contact_id : null,
      });
    },
  );

  app.delete(
    '/api/sequences/:id/subscribers/:contactId',
    {
      schema: {
        tags: ['sequences'],
        summary: 'Unsubscribe a contact: its run ends at once',
        params: SubscriberParams,
        response: { 200: envelope(SubscriberView), 409: ErrorSchema, ...errors },
      },
    },
    async (request) => {
      const sub = await unsubscribeContact(
        { store, temporal: app.temporal },
        orgOf(request.principal),
        request.params.id,
        request.params.contactId,
      );
      return ok(subscriberView(sub));
    },
  );
};

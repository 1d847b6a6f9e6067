import { beforeOf, nextCursor } from '../time-cursor';
import type { FastifyInstance } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { mapLimit } from '../../lib/concurrency';
import { ConflictError, NotFoundError } from '../../lib/errors';
import { normalizePhone } from '../../lib/phone';
import { ExitReason } from '../../sequences/exits';
import { exitRuns } from '../../sequences/exits';
import { sequencePlan } from '../../sequences/preflight';
import type { SequenceDoc } from '../../store/contract/sequences';
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
import { orgOf } from '../types';

/** Phone numbers looked up at once in a bulk subscribe. */
const LOOKUPS_IN_FLIGHT = 8;
const COUNTS_IN_FLIGHT = 4;

async function viewOf(app: FastifyInstance, doc: SequenceDoc) {
  return sequenceView(doc, await app.store.sequenceSubscriptions.counts(doc._id));
}

export const sequenceRoutes: FastifyPluginAsyncZod = async (app) => {
  const { store } = app;

  const find = async (orgId: string, id: string) => {
    const doc = await store.sequences.get(orgId, id);
    if (!doc) throw new NotFoundError(`Sequence '${id}' not found`);
    return doc;
  };

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
      const orgId = orgOf(request.principal);
      const doc = await store.sequences.create(
        orgId,
        await sequencePlan(store, orgId, request.body),
      );
      app.sequenceTriggers.forget(orgId);
      return reply.code(201).send(ok(await viewOf(app, doc)));
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
      const docs = await store.sequences.list(orgOf(request.principal), {
        limit: q.limit,
        before: beforeOf(q),
      });
      return ok({
        sequences: await mapLimit(docs, COUNTS_IN_FLIGHT, (d) => viewOf(app, d)),
        next_cursor: nextCursor(docs, q.limit),
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
      ok(await viewOf(app, await find(orgOf(request.principal), request.params.id))),
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
      const orgId = orgOf(request.principal);
      await find(orgId, request.params.id);
      const plan = await sequencePlan(store, orgId, request.body);
      const doc = await store.sequences.update(orgId, request.params.id, plan);
      if (!doc) throw new NotFoundError(`Sequence '${request.params.id}' not found`);
      app.sequenceTriggers.forget(orgId);
      return ok(await viewOf(app, doc));
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
      const orgId = orgOf(request.principal);
      const doc = await find(orgId, request.params.id);
      const ended = await exitRuns(
        store,
        app.temporal,
        { orgId, sequenceId: doc._id },
        ExitReason.sequenceDeleted,
      );
      if (!(await store.sequences.delete(orgId, doc._id))) {
        throw new NotFoundError(`Sequence '${doc._id}' not found`);
      }
      app.sequenceTriggers.forget(orgId);
      return ok({ id: doc._id, deleted: true as const, ended: ended.length });
    },
  );

  app.post(
    '/api/sequences/:id/subscribers',
    {
      schema: {
        tags: ['sequences'],
        summary: 'Subscribe contacts (by id or phone number), a result per row',
        description:
          'The subscriptions are recorded before the answer; their workflows start in the ' +
          'background right after. The re-entry rule decides about contacts already subscribed.',
        params: IdParams,
        body: SubscribeBody,
        response: { 200: envelope(SubscribeResultView), ...errors },
      },
    },
    async (request) => {
      const orgId = orgOf(request.principal);
      const seq = await find(orgId, request.params.id);
      const { contact_ids = [], phone_numbers = [] } = request.body;
      const byPhone = await mapLimit(phone_numbers, LOOKUPS_IN_FLIGHT, async (given) => {
        const phone = normalizePhone(given);
        const contact = phone ? await store.contacts.findByPhone(orgId, phone) : null;
        return { given, phone, contactId: contact?._id ?? null };
      });
      const ids = [...contact_ids, ...byPhone.flatMap((p) => (p.contactId ? [p.contactId] : []))];
      const results = new Map(
        (await store.sequenceSubscriptions.subscribe(seq, ids, 'api')).map((r) => [
          r.contact_id,
          r,
        ]),
      );
      app.sequenceStarter.kick();
      const rows = [
        ...contact_ids.map((id) => ({
          contact_id: id,
          phone_number: null,
          outcome: results.get(id)!.outcome,
        })),
        ...byPhone.map((p) => ({
          contact_id: p.contactId,
          phone_number: p.given,
          outcome: !p.phone
            ? ('invalid_phone_number' as const)
            : p.contactId
              ? results.get(p.contactId)!.outcome
              : ('contact_not_found' as const),
        })),
      ];
      const subscribed = [...results.values()].filter((r) => r.run !== null).length;
      return ok({ subscribed, results: rows });
    },
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
      const seq = await find(orgOf(request.principal), request.params.id);
      const q = request.query;
      const rows = await store.sequenceSubscriptions.list(seq._id, q);
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
      const orgId = orgOf(request.principal);
      const seq = await find(orgId, request.params.id);
      const { contactId } = request.params;
      const sub = await store.sequenceSubscriptions.get(seq._id, contactId);
      if (!sub)
        throw new NotFoundError(`Contact '${contactId}' is not subscribed to this sequence`);
      const ended = await exitRuns(
        store,
        app.temporal,
        { orgId, sequenceId: seq._id, contactIds: [contactId] },
        ExitReason.unsubscribed,
      );
      if (!ended.length) throw new ConflictError(`The subscription is already ${sub.state}`);
      return ok(subscriberView((await store.sequenceSubscriptions.get(seq._id, contactId)) ?? sub));
    },
  );
};

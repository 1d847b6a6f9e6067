import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { NotFoundError } from '../../lib/errors';
import { flushOutbox } from '../../contacts/outbox';
import {
  ContactList,
  contactView,
  ContactView,
  CreateContactBody,
  ListContactsQuery,
  UpdateContactBody,
} from '../schemas/contacts';
import { envelope, ErrorSchema, IdParams, ok, protectedErrors } from '../schemas/common';
import { orgOf } from '../types';

const notFound = (id: string) => new NotFoundError(`Contact '${id}' not found`);

export const contactRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/api/contacts',
    {
      schema: {
        tags: ['contacts'],
        summary: 'List contacts, newest first, with search and filters',
        querystring: ListContactsQuery,
        response: { 200: envelope(ContactList), 400: ErrorSchema, ...protectedErrors },
      },
    },
    async (request) => {
      const q = request.query;
      const { contacts, total } = await app.store.contacts.list(orgOf(request.principal), q);
      const now = new Date();
      return ok({ contacts: contacts.map((c) => contactView(c, now)), total, page: q.page });
    },
  );

  app.post(
    '/api/contacts',
    {
      schema: {
        tags: ['contacts'],
        summary: 'Create a contact (phone numbers are unique)',
        body: CreateContactBody,
        response: {
          201: envelope(ContactView),
          400: ErrorSchema,
          409: ErrorSchema,
          ...protectedErrors,
        },
      },
    },
    async (request, reply) => {
      const doc = await app.store.contacts.create(orgOf(request.principal), request.body);
      await flushOutbox(app.store, request.log, 'contacts', doc._id);
      return reply.code(201).send(ok(contactView(doc)));
    },
  );

  app.get(
    '/api/contacts/:id',
    {
      schema: {
        tags: ['contacts'],
        summary: 'Get a contact',
        params: IdParams,
        response: {
          200: envelope(ContactView),
          400: ErrorSchema,
          404: ErrorSchema,
          ...protectedErrors,
        },
      },
    },
    async (request) => {
      const doc = await app.store.contacts.get(orgOf(request.principal), request.params.id);
      if (!doc) throw notFound(request.params.id);
      return ok(contactView(doc));
    },
  );

  app.put(
    '/api/contacts/:id',
    {
      schema: {
        tags: ['contacts'],
        summary: 'Update the given fields of a contact',
        params: IdParams,
        body: UpdateContactBody,
        response: {
          200: envelope(ContactView),
          400: ErrorSchema,
          404: ErrorSchema,
          409: ErrorSchema,
          ...protectedErrors,
        },
      },
    },
    async (request) => {
      const { id } = request.params;
      const res = await app.store.contacts.update(orgOf(request.principal), id, request.body);
      if (!res) throw notFound(id);
      if (res.changes.length) await flushOutbox(app.store, request.log, 'contacts', id);
      return ok(contactView(res.contact));
    },
  );

  app.delete(
    '/api/contacts/:id',
    {
      schema: {
        tags: ['contacts'],
        summary: 'Delete a contact for good',
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
      if (!(await app.store.contacts.delete(orgOf(request.principal), id))) throw notFound(id);
      return ok({ id, deleted: true as const });
    },
  );
};

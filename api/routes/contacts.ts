import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createContact } from '../../contacts/create';
import { deleteContact } from '../../contacts/delete';
import { getContact, listContacts } from '../../contacts/read';
import { updateContact } from '../../contacts/update';
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
      const { contacts, total } = await listContacts(
        { store: app.store },
        orgOf(request.principal),
        q,
      );
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
      const deps = { store: app.store, log: request.log };
      const doc = await createContact(deps, orgOf(request.principal), request.body);
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
      const doc = await getContact(
        { store: app.store },
        orgOf(request.principal),
        request.params.id,
      );
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
      const deps = { store: app.store, log: request.log };
      const orgId = orgOf(request.principal);
      const doc = await updateContact(deps, orgId, request.params.id, request.body);
      return ok(contactView(doc));
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
      await deleteContact({ store: app.store }, orgOf(request.principal), id);
      return ok({ id, deleted: true as const });
    },
  );
};

import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { transferContact } from '../../contacts/transfer';
import { envelope, ErrorSchema, IdParams, ok, protectedErrors } from '../schemas/common';
import { TransferBody, transferView, TransferView } from '../schemas/transfers';
import { orgOf } from '../types';

export const transferRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/api/contacts/:id/transfer',
    {
      schema: {
        tags: ['contacts'],
        summary: "Transfer a contact's conversation to an agent or a team",
        params: IdParams,
        body: TransferBody,
        response: {
          201: envelope(TransferView),
          400: ErrorSchema,
          404: ErrorSchema,
          ...protectedErrors,
        },
      },
    },
    async (request, reply) => {
      const deps = { store: app.store, log: request.log };
      const orgId = orgOf(request.principal);
      const doc = await transferContact(deps, orgId, request.params.id, request.body);
      return reply.code(201).send(ok(transferView(doc)));
    },
  );
};

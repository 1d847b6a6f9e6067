import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { NotFoundError } from '../../lib/errors';
import { flushOutbox } from '../../contacts/outbox';
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
      const orgId = orgOf(request.principal);
      const { id } = request.params;
      if (!(await app.store.contacts.get(orgId, id))) {
        throw new NotFoundError(`Contact '${id}' not found`);
      }
      const { to_agent_id, to_team_id, from_agent_id, notes } = request.body;
      const doc = await app.store.transfers.create(orgId, {
        contactId: id,
        toAgentId: to_agent_id,
        toTeamId: to_team_id,
        fromAgentId: from_agent_id,
        notes: notes || null,
      });
      await flushOutbox(app.store, request.log, 'transfers', doc._id);
      return reply.code(201).send(ok(transferView(doc)));
    },
  );
};

import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createAccount } from '../../accounts/create';
import { deleteAccount } from '../../accounts/delete';
import { type AccountWithActivity, getAccount, listAccounts } from '../../accounts/read';
import { updateAccount } from '../../accounts/update';
import {
  accountView,
  AccountView,
  CreateAccountBody,
  CreatedAccountView,
  UpdateAccountBody,
} from '../schemas/accounts';
import { envelope, ErrorSchema, IdParams, ok, protectedErrors } from '../schemas/common';
import { orgOf } from '../types';

const viewOf = ({ doc, activity }: AccountWithActivity) => accountView(doc, activity);

export const accountRoutes: FastifyPluginAsyncZod = async (app) => {
  const withId = {
    params: IdParams,
    response: {
      200: envelope(AccountView),
      400: ErrorSchema,
      404: ErrorSchema,
      ...protectedErrors,
    },
  };

  app.post(
    '/api/accounts',
    {
      schema: {
        tags: ['accounts'],
        summary: 'Connect a WhatsApp Business number; its secrets are stored encrypted',
        body: CreateAccountBody,
        response: {
          201: envelope(CreatedAccountView),
          400: ErrorSchema,
          409: ErrorSchema,
          503: ErrorSchema,
          ...protectedErrors,
        },
      },
    },
    async (request, reply) => {
      const deps = {
        store: app.store,
        meta: app.meta,
        graphUrl: app.config.meta.graphUrl,
        log: request.log,
      };
      const { doc, generatedVerifyToken } = await createAccount(
        deps,
        orgOf(request.principal),
        request.body,
      );
      const view = accountView(doc);
      return reply
        .code(201)
        .send(
          ok(
            generatedVerifyToken === null
              ? view
              : { ...view, webhook_verify_token: generatedVerifyToken },
          ),
        );
    },
  );

  app.get(
    '/api/accounts',
    {
      schema: {
        tags: ['accounts'],
        summary: "List the organization's WhatsApp accounts (never their secrets)",
        response: {
          200: envelope(z.object({ accounts: z.array(AccountView) })),
          ...protectedErrors,
        },
      },
    },
    async (request) => {
      const accounts = await listAccounts({ store: app.store }, orgOf(request.principal));
      return ok({ accounts: accounts.map(viewOf) });
    },
  );

  app.get(
    '/api/accounts/:id',
    { schema: { tags: ['accounts'], summary: 'Get a WhatsApp account', ...withId } },
    async (request) => {
      const orgId = orgOf(request.principal);
      return ok(viewOf(await getAccount({ store: app.store }, orgId, request.params.id)));
    },
  );

  app.put(
    '/api/accounts/:id',
    {
      schema: {
        tags: ['accounts'],
        summary: 'Change the given fields; a new access_token reconnects the account',
        body: UpdateAccountBody,
        ...withId,
        response: { ...withId.response, 409: ErrorSchema, 503: ErrorSchema },
      },
    },
    async (request) => {
      const deps = { store: app.store, meta: app.meta, log: request.log };
      const orgId = orgOf(request.principal);
      return ok(viewOf(await updateAccount(deps, orgId, request.params.id, request.body)));
    },
  );

  app.delete(
    '/api/accounts/:id',
    {
      schema: {
        tags: ['accounts'],
        summary: 'Disconnect and delete an account and its synced templates',
        ...withId,
      },
    },
    async (request) => {
      const orgId = orgOf(request.principal);
      return ok(viewOf(await deleteAccount({ store: app.store }, orgId, request.params.id)));
    },
  );
};

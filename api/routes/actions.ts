import { beforeOf, nextCursor } from '../time-cursor';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createAction, deleteAction, updateAction } from '../../actions/definitions';
import { invokeAction } from '../../actions/invoke';
import { actionRuns, findAction, listActions } from '../../actions/queries';
import type { ActionCaller } from '../../store/documents';
import {
  ActionBody,
  ActionPatch,
  actionView,
  ActionView,
  RunBody,
  RunList,
  runRecordView,
  RunsQuery,
  runView,
  RunView,
} from '../schemas/actions';
import { envelope, ErrorSchema, IdParams, ok, protectedErrors } from '../schemas/common';
import { orgOf, type Principal } from '../types';

const callerOf = (p: Principal | null): ActionCaller => ({
  type: 'api',
  id: p?.kind === 'api_key' ? p.keyId : p?.kind === 'session' ? p.userId : null,
});

export const actionRoutes: FastifyPluginAsyncZod = async (app) => {
  const { store } = app;
  const tags = ['actions'];

  app.post(
    '/api/actions',
    {
      schema: {
        tags,
        summary: 'Create a custom JavaScript action (compiled on save)',
        body: ActionBody,
        response: {
          201: envelope(ActionView),
          400: ErrorSchema,
          409: ErrorSchema,
          ...protectedErrors,
        },
      },
    },
    async (request, reply) => {
      const doc = await createAction(
        { store, sandbox: app.sandbox },
        orgOf(request.principal),
        request.body,
      );
      return reply.code(201).send(ok(actionView(doc)));
    },
  );

  app.get(
    '/api/actions',
    {
      schema: {
        tags,
        summary: "The organization's actions, by name",
        response: { 200: envelope(ActionView.array()), ...protectedErrors },
      },
    },
    async (request) => ok((await listActions(store, orgOf(request.principal))).map(actionView)),
  );

  app.get(
    '/api/actions/:id',
    {
      schema: {
        tags,
        summary: 'An action',
        params: IdParams,
        response: { 200: envelope(ActionView), 404: ErrorSchema, ...protectedErrors },
      },
    },
    async (request) =>
      ok(actionView(await findAction(store, orgOf(request.principal), request.params.id))),
  );

  app.patch(
    '/api/actions/:id',
    {
      schema: {
        tags,
        summary: "Change an action's name, description or code (compiled on save)",
        params: IdParams,
        body: ActionPatch,
        response: {
          200: envelope(ActionView),
          400: ErrorSchema,
          404: ErrorSchema,
          409: ErrorSchema,
          ...protectedErrors,
        },
      },
    },
    async (request) => {
      const doc = await updateAction(
        { store, sandbox: app.sandbox },
        orgOf(request.principal),
        request.params.id,
        request.body,
      );
      return ok(actionView(doc));
    },
  );

  app.delete(
    '/api/actions/:id',
    {
      schema: {
        tags,
        summary: 'Delete an action and the record of its runs',
        params: IdParams,
        response: {
          200: envelope(z.object({ id: z.string(), deleted: z.literal(true) })),
          404: ErrorSchema,
          ...protectedErrors,
        },
      },
    },
    async (request) => {
      const { id } = request.params;
      await deleteAction(store, orgOf(request.principal), id);
      return ok({ id, deleted: true as const });
    },
  );

  app.post(
    '/api/actions/:id/run',
    {
      schema: {
        tags,
        summary:
          'Run an action: its result, logs and duration, or its error (syntax, runtime, ' +
          'timeout, memory, output)',
        params: IdParams,
        body: RunBody,
        response: {
          200: envelope(RunView),
          400: ErrorSchema,
          404: ErrorSchema,
          ...protectedErrors,
        },
      },
    },
    async (request) => {
      const { outcome, run } = await invokeAction(
        { store, sandbox: app.sandbox },
        orgOf(request.principal),
        request.params.id,
        request.body,
        callerOf(request.principal),
      );
      return ok(runView(run._id, outcome));
    },
  );

  app.get(
    '/api/actions/:id/runs',
    {
      schema: {
        tags,
        summary: "An action's runs, newest first: caller, outcome, duration",
        params: IdParams,
        querystring: RunsQuery,
        response: {
          200: envelope(RunList),
          400: ErrorSchema,
          404: ErrorSchema,
          ...protectedErrors,
        },
      },
    },
    async (request) => {
      const q = request.query;
      const runs = await actionRuns(store, orgOf(request.principal), request.params.id, {
        limit: q.limit,
        before: beforeOf(q),
      });
      return ok({ runs: runs.map(runRecordView), next_cursor: nextCursor(runs, q.limit) });
    },
  );
};

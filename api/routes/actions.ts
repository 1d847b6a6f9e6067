import { beforeOf, nextCursor } from '../time-cursor';
import type { FastifyInstance } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { contactContext, messageContext, organizationContext } from '../../actions/context';
import { runAndRecord } from '../../actions/run';
import { DomainError, NotFoundError, ValidationError } from '../../lib/errors';
import type { ActionCaller } from '../../store/documents';
import type { RunError } from '../../vm/types';
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

const BUSY_RETRY_AFTER_SECONDS = 1;

function where(e: RunError): string {
  if (e.line === null) return '';
  return e.column === null ? ` (line ${e.line})` : ` (line ${e.line}, column ${e.column})`;
}

/** The code compiles as an action's body, or a 400 naming the line and column. */
async function checkCode(app: FastifyInstance, code: string): Promise<void> {
  const problem = await app.sandbox.check(code);
  if (problem) throw new ValidationError(`code: ${problem.message}${where(problem)}`);
}

const callerOf = (p: Principal | null): ActionCaller => ({
  type: 'api',
  id: p?.kind === 'api_key' ? p.keyId : p?.kind === 'session' ? p.userId : null,
});

export const actionRoutes: FastifyPluginAsyncZod = async (app) => {
  const { store } = app;
  const tags = ['actions'];

  const find = async (orgId: string, id: string) => {
    const doc = await store.actions.get(orgId, id);
    if (!doc) throw new NotFoundError(`Action '${id}' not found`);
    return doc;
  };

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
      const { name, description, code } = request.body;
      await checkCode(app, code);
      const doc = await store.actions.create(orgOf(request.principal), {
        name,
        description: description || null,
        code,
      });
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
    async (request) => ok((await store.actions.list(orgOf(request.principal))).map(actionView)),
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
    async (request) => ok(actionView(await find(orgOf(request.principal), request.params.id))),
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
      const orgId = orgOf(request.principal);
      await find(orgId, request.params.id);
      const { name, description, code } = request.body;
      if (code !== undefined) await checkCode(app, code);
      const doc = await store.actions.update(orgId, request.params.id, {
        name,
        description: description === undefined ? undefined : description || null,
        code,
      });
      if (!doc) throw new NotFoundError(`Action '${request.params.id}' not found`);
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
      if (!(await store.actions.delete(orgOf(request.principal), id))) {
        throw new NotFoundError(`Action '${id}' not found`);
      }
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
      const orgId = orgOf(request.principal);
      const action = await find(orgId, request.params.id);
      const body = request.body;
      let contact = null;
      let message = body.message ?? null;
      if (body.contact_id !== undefined) {
        const doc = await store.contacts.get(orgId, body.contact_id);
        if (!doc) throw new NotFoundError(`Contact '${body.contact_id}' not found`);
        contact = contactContext(doc);
        if (!message) {
          const [last] = await store.messages.history(orgId, doc._id, { limit: 1 });
          message = last ? messageContext(last) : null;
        }
      }
      const org = await store.organizations.get(orgId);
      const { outcome, run } = await runAndRecord(
        { store, sandbox: app.sandbox },
        action,
        {
          contact,
          message,
          agent: body.agent ?? null,
          organization: org ? organizationContext(org) : { id: orgId, name: null },
          input: body.input ?? null,
        },
        callerOf(request.principal),
      );
      if (!run) {
        throw new DomainError(outcome.ok ? 'Busy' : outcome.error.message, 429, {
          'retry-after': String(BUSY_RETRY_AFTER_SECONDS),
        });
      }
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
      const orgId = orgOf(request.principal);
      const action = await find(orgId, request.params.id);
      const q = request.query;
      const runs = await store.actions.runs(orgId, action._id, {
        limit: q.limit,
        before: beforeOf(q),
      });
      return ok({
        runs: runs.map(runRecordView),
        next_cursor: nextCursor(runs, q.limit),
      });
    },
  );
};

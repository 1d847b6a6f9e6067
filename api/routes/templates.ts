import { ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { NotFoundError, ServiceUnavailableError, ValidationError } from '../../lib/errors';
import {
  TemplateSyncFailure,
  type TemplateSyncInput,
  templateSyncIds,
} from '../../workflows/contracts/template-sync';
import type { templateSyncWorkflow } from '../../workflows/template-sync';
import { envelope, ErrorSchema, ok, protectedErrors } from '../schemas/common';
import {
  ListTemplatesQuery,
  SyncTemplatesBody,
  TemplateSyncView,
  TemplateView,
  templateView,
} from '../schemas/templates';
import { orgOf } from '../types';
import { executeOrJoin } from '../workflow-run';

/** Turns a failed sync into the answer its cause deserves. */
function syncError(err: unknown): unknown {
  if (!(err instanceof WorkflowFailedError)) return err;
  const cause = err.cause;
  const message = cause?.message ?? err.message;
  if (cause instanceof ApplicationFailure) {
    if (cause.type === TemplateSyncFailure.notFound) return new NotFoundError(message);
    if (
      cause.type === TemplateSyncFailure.disconnected ||
      cause.type === TemplateSyncFailure.rejected
    ) {
      return new ValidationError(message);
    }
  }
  return new ServiceUnavailableError(`Template sync failed: ${message}`);
}

export const templateRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/api/templates',
    {
      schema: {
        tags: ['templates'],
        summary: 'List message templates, as last synced from Meta',
        querystring: ListTemplatesQuery,
        response: {
          200: envelope(z.object({ templates: z.array(TemplateView) })),
          400: ErrorSchema,
          ...protectedErrors,
        },
      },
    },
    async (request) => {
      const { account_id, status, name } = request.query;
      const docs = await app.store.templates.list(orgOf(request.principal), {
        accountId: account_id,
        status,
        name,
      });
      return ok({ templates: docs.map(templateView) });
    },
  );

  app.post(
    '/api/templates/sync',
    {
      schema: {
        tags: ['templates'],
        summary: 'Fetch the templates from Meta now and answer when done',
        body: SyncTemplatesBody,
        response: {
          200: envelope(TemplateSyncView),
          400: ErrorSchema,
          404: ErrorSchema,
          503: ErrorSchema,
          ...protectedErrors,
        },
      },
    },
    async (request) => {
      const orgId = orgOf(request.principal);
      const accountId = request.body?.account_id;
      let workflowId: string;
      let input: TemplateSyncInput;
      if (accountId) {
        if (!(await app.store.accounts.get(orgId, accountId))) {
          throw new NotFoundError(`Account '${accountId}' not found`);
        }
        workflowId = templateSyncIds.account(accountId);
        input = { accountId };
      } else {
        await app.store.accounts.ensureSandbox(orgId);
        workflowId = templateSyncIds.org(orgId);
        input = { orgId };
      }
      try {
        const result = await executeOrJoin<typeof templateSyncWorkflow>(
          app.temporal,
          'templateSyncWorkflow',
          { workflowId, taskQueue: app.config.temporal.taskQueue, args: [input] },
        );
        return ok(result);
      } catch (err) {
        throw syncError(err);
      }
    },
  );
};

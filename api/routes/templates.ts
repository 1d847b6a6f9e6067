import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { listTemplates } from '../../templates/list';
import { syncTemplates } from '../../templates/sync';
import { envelope, ErrorSchema, ok, protectedErrors } from '../schemas/common';
import {
  ListTemplatesQuery,
  SyncTemplatesBody,
  TemplateSyncView,
  TemplateView,
  templateView,
} from '../schemas/templates';
import { orgOf } from '../types';

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
      const docs = await listTemplates(
        { store: app.store },
        orgOf(request.principal),
        request.query,
      );
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
      const deps = {
        store: app.store,
        temporal: app.temporal,
        taskQueue: app.config.temporal.taskQueue,
      };
      return ok(await syncTemplates(deps, orgOf(request.principal), request.body ?? {}));
    },
  );
};

import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { getOrganization, updateOrganization } from '../../accounts/organization';
import { envelope, ErrorSchema, ok, protectedErrors } from '../schemas/common';
import {
  organizationView,
  OrganizationView,
  UpdateOrganizationBody,
} from '../schemas/organization';
import { orgOf } from '../types';

/** The caller's organization and its settings. */
export const organizationRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/api/organization',
    {
      schema: {
        tags: ['organization'],
        summary: "The caller's organization and its settings",
        response: { 200: envelope(OrganizationView), ...protectedErrors },
      },
    },
    async (request) =>
      ok(organizationView(await getOrganization({ store: app.store }, orgOf(request.principal)))),
  );

  app.patch(
    '/api/organization',
    {
      schema: {
        tags: ['organization'],
        summary: 'Change the given settings of the organization',
        body: UpdateOrganizationBody,
        response: { 200: envelope(OrganizationView), 400: ErrorSchema, ...protectedErrors },
      },
    },
    async (request) => {
      const orgId = orgOf(request.principal);
      return ok(
        organizationView(await updateOrganization({ store: app.store }, orgId, request.body)),
      );
    },
  );
};

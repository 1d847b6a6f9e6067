import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import { type BulkContactRow, bulkUpsertContacts } from '../../contacts/bulk-upsert';
import { BulkContactsBody, BulkResultView, CreateContactBody } from '../schemas/contacts';
import { envelope, ErrorSchema, ok, protectedErrors } from '../schemas/common';
import { orgOf } from '../types';

/** A row's problems, each naming its field: "email: Invalid email address". */
function rowError(error: z.ZodError): string {
  return error.issues
    .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ');
}

export const contactBulkRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/api/contacts/bulk',
    {
      config: { rowsCheckedEach: true },
      schema: {
        tags: ['contacts'],
        summary: 'Create or update up to 1,000 contacts by phone number',
        description:
          'A row whose phone number is new creates a contact; otherwise it updates the fields ' +
          'it gives. Each row is checked and applied on its own: a bad row is reported in ' +
          '`results` and never fails the others.',
        body: BulkContactsBody,
        response: { 200: envelope(BulkResultView), 400: ErrorSchema, ...protectedErrors },
      },
    },
    async (request) => {
      const rows = request.body.contacts.map((row): BulkContactRow => {
        const parsed = CreateContactBody.safeParse(row);
        return parsed.success ? { input: parsed.data } : { error: rowError(parsed.error) };
      });
      const deps = { store: app.store, log: request.log };
      const orgId = orgOf(request.principal);
      return ok(await bulkUpsertContacts(deps, orgId, rows, request.body.default_country));
    },
  );
};

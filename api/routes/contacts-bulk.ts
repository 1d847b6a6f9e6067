import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import type { ContactInput } from '../../store/contact-fields';
import { flushOutbox } from '../../contacts/outbox';
import {
  BulkContactsBody,
  BulkResultView,
  type BulkRowView,
  CreateContactBody,
} from '../schemas/contacts';
import { envelope, ErrorSchema, ok, protectedErrors } from '../schemas/common';
import { orgOf } from '../types';

type RowResult = z.infer<typeof BulkRowView>;

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
      const orgId = orgOf(request.principal);
      const results: RowResult[] = [];
      const valid: { index: number; input: ContactInput }[] = [];
      request.body.contacts.forEach((row, index) => {
        const parsed = CreateContactBody.safeParse(row);
        if (parsed.success) valid.push({ index, input: parsed.data });
        else results[index] = { index, status: 'error', error: rowError(parsed.error) };
      });

      const applied = await app.store.contacts.upsertMany(
        orgId,
        valid.map((v) => v.input),
      );
      const changed: string[] = [];
      applied.forEach((res, i) => {
        const index = valid[i]!.index;
        if (res.status === 'error') results[index] = { index, status: 'error', error: res.error };
        else {
          results[index] = { index, status: res.status, id: res.id };
          if (res.changed) changed.push(res.id);
        }
      });
      await flushOutbox(app.store, request.log, 'contacts', [...new Set(changed)]);

      const count = (status: RowResult['status']) =>
        results.filter((r) => r.status === status).length;
      return ok({
        created: count('created'),
        updated: count('updated'),
        errors: count('error'),
        results,
      });
    },
  );
};

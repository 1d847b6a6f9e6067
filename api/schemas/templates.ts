import { z } from 'zod';
import type { TemplateDoc } from '../../store/documents';
import type { ListTemplatesRequest } from '../../templates/list';
import type { SyncTemplatesRequest } from '../../templates/sync';
import { checked, Id } from './common';

export const ListTemplatesQuery = checked<ListTemplatesRequest>()(
  z.object({
    account_id: Id.optional(),
    status: z
      .string()
      .trim()
      .min(1)
      .max(40)
      .toUpperCase()
      .optional()
      .describe('APPROVED, PENDING, REJECTED, PAUSED...'),
    name: z.string().trim().min(1).max(512).optional(),
  }),
);

export const SyncTemplatesBody = checked<SyncTemplatesRequest | null | undefined>()(
  z
    .object({
      account_id: z
        .uuid()
        .optional()
        .describe("One account; omit to sync all the organization's connected accounts"),
    })
    .nullish(),
);

export const TemplateView = z.object({
  id: z.string().describe('`<account_id>:<name>:<language>`'),
  account_id: z.uuid(),
  name: z.string(),
  language: z.string(),
  category: z.string(),
  status: z.string(),
  components: z.array(z.record(z.string(), z.unknown())).describe("As Meta's API returns them"),
  parameter_counts: z
    .object({
      header: z.number().int(),
      body: z.number().int(),
      buttons: z.array(z.number().int()).describe('One count per button, in order'),
    })
    .describe('How many parameters a send must give each component'),
  header_format: z.string().nullable().describe('IMAGE, VIDEO, DOCUMENT or LOCATION'),
});

export const TemplateSyncView = z.object({
  synced: z.number().int().describe('Templates fetched and stored'),
  removed: z.number().int().describe('Local templates deleted because Meta no longer has them'),
  accounts: z.array(
    z.object({
      account_id: z.uuid(),
      synced: z.number().int(),
      removed: z.number().int(),
      error: z.string().nullable().describe("Why this account's sync failed"),
    }),
  ),
});

export function templateView(doc: TemplateDoc): z.infer<typeof TemplateView> {
  return {
    id: doc._id,
    account_id: doc.account_id,
    name: doc.name,
    language: doc.language,
    category: doc.category,
    status: doc.status,
    components: doc.components,
    parameter_counts: doc.parameter_counts,
    header_format: doc.header_format,
  };
}

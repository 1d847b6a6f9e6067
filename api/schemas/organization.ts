import { z } from 'zod';
import type { UpdateOrganizationRequest } from '../../accounts/organization';
import type { OrganizationDoc } from '../../store/documents';
import { checked, Timestamp } from './common';
import { Country } from './country';

export const UpdateOrganizationBody = checked<UpdateOrganizationRequest>()(
  z.strictObject({
    default_country: Country.nullable()
      .optional()
      .describe(
        'The country of phone numbers given without + or 00 (ISO 3166-1 alpha-2, like IN); ' +
          'null: none, and such numbers are refused unless the request names a country',
      ),
  }),
);

export const OrganizationView = z.object({
  id: z.uuid(),
  name: z.string(),
  default_country: z.string().nullable(),
  created_at: Timestamp,
});

export const organizationView = (doc: OrganizationDoc): z.infer<typeof OrganizationView> => ({
  id: doc._id,
  name: doc.name,
  default_country: doc.default_country,
  created_at: doc.created_at.toISOString(),
});

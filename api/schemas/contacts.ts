import { z } from 'zod';
import { windowExpiresAt, windowOpen } from '../../meta/window';
import type { ContactDoc } from '../../store/documents';
import type { CreateContactRequest } from '../../contacts/create';
import type { ListContactsRequest } from '../../contacts/read';
import type { UpdateContactRequest } from '../../contacts/update';
import { checked, Timestamp } from './common';
import { DefaultCountry } from './country';
import { UserId } from './user-id';

export const MAX_BULK_CONTACTS = 1_000;

/** A tag or stage: trimmed, 1 to 100 characters. */
export const Label = z.string().trim().min(1).max(100);

export const CustomFieldKey = z
  .string()
  .regex(/^[^.$][^.]{0,63}$/, 'a key has 1 to 64 characters, no dots, and does not start with $');

const CustomFields = z
  .record(CustomFieldKey, z.union([z.string().max(2_000), z.number(), z.boolean(), z.null()]))
  .refine((fields) => Object.keys(fields).length <= 100, 'at most 100 custom fields')
  .describe('A flat object of string, number, boolean or null values');

/** Every field but the phone number and user id; absent fields are left as they are. */
const ContactFields = z.object({
  parent_user_id: UserId.nullable().optional().describe("The parent business's user id"),
  username: z.string().trim().min(1).max(100).nullable().optional(),
  name: z.string().trim().min(1).max(200).nullable().optional(),
  email: z.email().max(254).nullable().optional(),
  tags: z
    .array(Label)
    .max(100)
    .optional()
    .describe('Replaces the tags; trimmed, duplicates dropped'),
  stage: Label.nullable().optional().describe('Where the contact is in your funnel, e.g. "Lead"'),
  custom_fields: CustomFields.optional().describe('Replaces the custom fields'),
  opted_in: z
    .boolean()
    .optional()
    .describe('Consent to business-initiated messages; new contacts default to false'),
});

const PhoneNumber = z
  .string()
  .max(40)
  .describe(
    'With + or 00 and the country code ("+91 98765-43210"), or national ("98765 43210") ' +
      'with a default country; spaces, dashes and brackets are ignored',
  );

export const CreateContactBody = checked<CreateContactRequest>()(
  ContactFields.extend({
    phone_number: PhoneNumber.optional().describe(
      'The phone number (or user_id, or both): with + or 00 and the country code, or national ' +
        'with a default country',
    ),
    user_id: UserId.optional(),
    default_country: DefaultCountry,
  }),
);
export const UpdateContactBody = checked<UpdateContactRequest>()(
  ContactFields.extend({
    phone_number: PhoneNumber.optional(),
    user_id: UserId.optional(),
    default_country: DefaultCountry,
  }),
);

export const ListContactsQuery = checked<ListContactsRequest>()(
  z.object({
    page: z.coerce.number().int().min(1).max(1_000_000).default(1),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    search: z
      .string()
      .trim()
      .max(200)
      .optional()
      .describe(
        'Part of the name, username or user id (any case) or of the phone number (with or without +)',
      ),
    user_id: UserId.optional().describe('Only the contact with this business-scoped user id'),
    tag: Label.optional().describe('Only contacts with this tag'),
    stage: Label.optional().describe('Only contacts in this stage'),
  }),
);

export const BulkContactsBody = z.object({
  default_country: DefaultCountry,
  contacts: z
    .array(z.unknown().describe('A contact as for POST /api/contacts; each is checked on its own'))
    .min(1)
    .max(MAX_BULK_CONTACTS),
});

export const BulkRowView = z.object({
  index: z.number().int().describe('Position of the row in the request'),
  status: z.enum(['created', 'updated', 'error']),
  id: z.uuid().optional(),
  error: z.string().optional().describe('Why the row was refused; names the field'),
});

export const BulkResultView = z.object({
  created: z.number().int(),
  updated: z.number().int(),
  errors: z.number().int(),
  results: z.array(BulkRowView),
});

export const ContactView = z.object({
  id: z.uuid(),
  phone_number: z.string().nullable().describe('Null for a customer known only by user_id'),
  user_id: z.string().nullable().describe("Meta's business-scoped user id (BSUID)"),
  parent_user_id: z.string().nullable(),
  username: z.string().nullable().describe("The customer's WhatsApp username, as last seen"),
  name: z.string().nullable(),
  email: z.string().nullable(),
  tags: z.array(z.string()),
  stage: z.string().nullable(),
  custom_fields: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
  opted_in: z.boolean(),
  source: z.enum(['api', 'bulk', 'whatsapp_webhook', 'woocommerce']),
  last_inbound_at: Timestamp.nullable().describe("The customer's last message to you"),
  window_open: z.boolean().describe('Free-form messages can be sent (24 h after the last one)'),
  window_expires_at: Timestamp.nullable(),
  created_at: Timestamp,
  updated_at: Timestamp,
});

export const ContactList = z.object({
  contacts: z.array(ContactView),
  total: z.number().int(),
  page: z.number().int(),
});

export function contactView(doc: ContactDoc, now = new Date()): z.infer<typeof ContactView> {
  const expires = windowExpiresAt(doc.last_inbound_at);
  return {
    id: doc._id,
    phone_number: doc.phone_number,
    user_id: doc.user_id ?? null,
    parent_user_id: doc.parent_user_id ?? null,
    username: doc.username ?? null,
    name: doc.name,
    email: doc.email,
    tags: doc.tags,
    stage: doc.stage,
    custom_fields: doc.custom_fields as z.infer<typeof ContactView>['custom_fields'],
    opted_in: doc.opted_in,
    source: doc.source,
    last_inbound_at: doc.last_inbound_at?.toISOString() ?? null,
    window_open: windowOpen(doc.last_inbound_at, now),
    window_expires_at: expires?.toISOString() ?? null,
    created_at: doc.created_at.toISOString(),
    updated_at: doc.updated_at.toISOString(),
  };
}

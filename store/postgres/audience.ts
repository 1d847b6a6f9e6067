import type { AudienceFilter } from '../campaigns';
import { json } from './db';

/**
 * The WHERE clause of an audience over `contacts`, its values appended to `values`. Each
 * condition is written the way an index of contacts serves it: tags by contacts_tags (GIN),
 * stage by contacts_org_stage, country codes as prefix LIKEs by contacts_phone_search (trigrams),
 * the custom field as jsonb containment (which keeps the value's type) by
 * contacts_custom_fields, contact ids by the primary key.
 */
export function audienceWhere(orgId: string, filter: AudienceFilter, values: unknown[]): string {
  const param = (value: unknown) => {
    values.push(value);
    return `$${values.length}`;
  };
  const where = [`org_id = ${param(orgId)}`, 'opted_in'];
  if (filter.tags) {
    const op = filter.tags.match === 'all' ? '@>' : '&&';
    where.push(`tags ${op} ${param(filter.tags.values)}::text[]`);
  }
  if (filter.stage !== null) where.push(`stage = ${param(filter.stage)}`);
  if (filter.prefixes) {
    const likes = filter.prefixes.map((p) => `phone_number LIKE ${param(`${p}%`)}`);
    where.push(`(${likes.join(' OR ')})`);
  }
  if (filter.customField) {
    const { key, value } = filter.customField;
    where.push(`custom_fields @> ${param(json({ [key]: value }))}::jsonb`);
  }
  if (filter.contactIds) where.push(`id = ANY(${param(filter.contactIds)}::text[])`);
  return where.join(' AND ');
}

/**
 * The audience's contacts (the columns given), each once, in send order. A contact is one
 * customer (phone numbers and user ids are unique within an organization); one without a
 * phone number is reached by its user id.
 */
export function audienceQuery(
  orgId: string,
  filter: AudienceFilter,
  values: unknown[],
  columns: string,
): string {
  return `SELECT ${columns} FROM contacts
          WHERE ${audienceWhere(orgId, filter, values)}
          ORDER BY created_at, id`;
}

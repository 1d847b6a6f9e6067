import { randomUUID } from 'node:crypto';
import { requirePhone } from '../lib/phone';
import type { ContactDoc, OutboxEvent, WithOutbox } from './documents';
import { newEvent, outboxFields } from './outbox';

export type CustomFieldValue = string | number | boolean | null;

/** What a caller may set on a contact; an absent field is left as it is. */
export interface ContactPatch {
  phone_number?: string;
  name?: string | null;
  email?: string | null;
  tags?: string[];
  stage?: string | null;
  custom_fields?: Record<string, CustomFieldValue>;
  opted_in?: boolean;
}

export interface ContactInput extends ContactPatch {
  phone_number: string;
}

export type ContactSource = ContactDoc['source'];

const EDITABLE = [
  'phone_number',
  'name',
  'email',
  'tags',
  'stage',
  'custom_fields',
  'opted_in',
] as const;
export type EditableField = (typeof EDITABLE)[number];
export type ContactChanges = Partial<Pick<ContactDoc, EditableField>>;

/** Phone in E.164 (throws a ValidationError naming the field), tags trimmed and unique. */
export function normalizePatch<T extends ContactPatch>(patch: T): T {
  const out = { ...patch };
  if (patch.phone_number !== undefined) out.phone_number = requirePhone(patch.phone_number);
  if (patch.tags !== undefined) out.tags = cleanTags(patch.tags);
  return out;
}

export function cleanTags(tags: readonly string[]): string[] {
  return [...new Set(tags.map((t) => t.trim()).filter((t) => t.length > 0))];
}

/** The fields of `patch` whose values differ from the document's. */
export function changedFields(doc: ContactDoc, patch: ContactPatch): ContactChanges {
  const changes: Record<string, unknown> = {};
  for (const field of EDITABLE) {
    const value = patch[field];
    if (value !== undefined && !sameValue(doc[field], value)) changes[field] = value;
  }
  return changes;
}

function sameValue(current: unknown, next: unknown): boolean {
  if (Array.isArray(current) && Array.isArray(next)) {
    // Tags are a set: the same tags in another order are no change.
    return current.length === next.length && next.every((v) => current.includes(v));
  }
  if (isRecord(current) && isRecord(next)) {
    const keys = Object.keys(next);
    return (
      keys.length === Object.keys(current).length &&
      keys.every((k) => Object.hasOwn(current, k) && current[k] === next[k])
    );
  }
  return current === next;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The contact as outbound webhooks describe it. */
export function contactEventData(
  doc: Pick<ContactDoc, '_id' | 'source' | EditableField>,
): Record<string, unknown> {
  return {
    id: doc._id,
    phone_number: doc.phone_number,
    name: doc.name,
    email: doc.email,
    tags: doc.tags,
    stage: doc.stage,
    custom_fields: doc.custom_fields,
    opted_in: doc.opted_in,
    source: doc.source,
  };
}

export function contactUpdatedEvent(after: ContactDoc, changes: ContactChanges): OutboxEvent {
  return newEvent('contact.updated', {
    ...contactEventData(after),
    changes: Object.keys(changes),
  });
}

/** A new contact carrying its contact.created event; `input` must be normalised. */
export function newContactDoc(
  orgId: string,
  input: ContactInput,
  source: ContactSource,
  opts: { lastInboundAt?: Date | null; now?: Date } = {},
): ContactDoc {
  const now = opts.now ?? new Date();
  const contact: Omit<ContactDoc, keyof WithOutbox> = {
    _id: randomUUID(),
    org_id: orgId,
    phone_number: input.phone_number,
    name: input.name ?? null,
    email: input.email ?? null,
    tags: input.tags ?? [],
    stage: input.stage ?? null,
    custom_fields: input.custom_fields ?? {},
    // Consent is never assumed for contacts added by hand or by import.
    opted_in: input.opted_in ?? false,
    last_inbound_at: opts.lastInboundAt ?? null,
    source,
    created_at: now,
    updated_at: now,
  };
  return { ...contact, ...outboxFields([newEvent('contact.created', contactEventData(contact))]) };
}

import { randomUUID } from 'node:crypto';
import { requirePhone } from '../lib/phone';
import { ConflictError, DomainError, ValidationError } from '../lib/errors';
import type { ContactDoc, OutboxEvent } from './documents';
import { newEvent } from './events';

export const duplicatePhone = (phone: string) =>
  new ConflictError(`A contact with phone_number '${phone}' already exists`);

export const duplicateUserId = (userId: string) =>
  new ConflictError(`A contact with user_id '${userId}' already exists`);

/** The conflict a new contact met: its phone number, or else its user id, is taken. */
export const duplicateContact = (doc: Pick<ContactDoc, 'phone_number' | 'user_id'>) =>
  doc.phone_number ? duplicatePhone(doc.phone_number) : duplicateUserId(doc.user_id ?? '');

/** Meta's business-scoped user ids: a country code, a dot, then letters and digits. */
const USER_ID = /^[A-Z]{2}(?:\.[A-Za-z0-9]+)+$/;

/** The user id as given, or a ValidationError naming `field`. */
export function requireUserId(value: string, field = 'user_id'): string {
  const id = value.trim();
  if (id.length > 128 || !USER_ID.test(id)) {
    throw new ValidationError(
      `${field}: must be a business-scoped user id such as 'US.13491208655302741918'`,
    );
  }
  return id;
}

/** How Meta names a customer: a phone number (E.164), a business-scoped user id, or both. */
export interface CustomerIds {
  phone: string | null;
  userId: string | null;
  parentUserId?: string | null;
  username?: string | null;
}

export type CustomFieldValue = string | number | boolean | null;

/** What a caller may set on a contact; an absent field is left as it is. */
export interface ContactPatch {
  phone_number?: string;
  user_id?: string;
  parent_user_id?: string | null;
  username?: string | null;
  name?: string | null;
  email?: string | null;
  tags?: string[];
  stage?: string | null;
  custom_fields?: Record<string, CustomFieldValue>;
  opted_in?: boolean;
}

/** A new contact has a phone number, a user id, or both. */
export type ContactInput = ContactPatch;

export type ContactSource = ContactDoc['source'];

const EDITABLE = [
  'phone_number',
  'user_id',
  'parent_user_id',
  'username',
  'name',
  'email',
  'tags',
  'stage',
  'custom_fields',
  'opted_in',
] as const;
export type EditableField = (typeof EDITABLE)[number];
export type ContactChanges = Partial<Pick<ContactDoc, EditableField>>;

const hasControl = (s: string) => [...s].some((c) => c.charCodeAt(0) < 0x20 || c === '\u007f');

/**
 * Text no store can hold: a NUL anywhere (PostgreSQL text and jsonb refuse it), or a custom
 * field name with a control character (BSON keys end at NUL), a dot or a leading $.
 */
function assertStorable(patch: ContactPatch): void {
  for (const field of ['name', 'email', 'stage', 'username'] as const) {
    if (patch[field]?.includes('\u0000')) {
      throw new ValidationError(`${field}: must not contain a NUL character`);
    }
  }
  if (patch.tags?.some((t) => t.includes('\u0000'))) {
    throw new ValidationError('tags: must not contain a NUL character');
  }
  for (const [key, value] of Object.entries(patch.custom_fields ?? {})) {
    if (hasControl(key)) {
      throw new ValidationError(
        `custom_fields: the key ${JSON.stringify(key)} must not contain control characters`,
      );
    }
    // MongoDB reads a dot as a path and a leading $ as an operator.
    if (key.includes('.') || key.startsWith('$')) {
      throw new ValidationError(
        `custom_fields: the key ${JSON.stringify(key)} must not contain '.' or start with '$'`,
      );
    }
    if (typeof value === 'string' && value.includes('\u0000')) {
      throw new ValidationError(`custom_fields.${key}: must not contain a NUL character`);
    }
  }
}

/**
 * Phone in E.164, tags trimmed and unique, nothing a store cannot hold (each failure a
 * ValidationError naming the field).
 */
export function normalizePatch<T extends ContactPatch>(patch: T): T {
  assertStorable(patch);
  const out = { ...patch };
  if (patch.phone_number !== undefined) out.phone_number = requirePhone(patch.phone_number);
  if (patch.user_id !== undefined) out.user_id = requireUserId(patch.user_id);
  if (patch.parent_user_id)
    out.parent_user_id = requireUserId(patch.parent_user_id, 'parent_user_id');
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
    user_id: doc.user_id,
    parent_user_id: doc.parent_user_id,
    username: doc.username,
    name: doc.name,
    email: doc.email,
    tags: doc.tags,
    stage: doc.stage,
    custom_fields: doc.custom_fields,
    opted_in: doc.opted_in,
    source: doc.source,
  };
}

/** `tags_added`: what automations' tag triggers read, when the tags changed. */
export function contactUpdatedEvent(
  before: ContactDoc,
  after: ContactDoc,
  changes: ContactChanges,
): OutboxEvent {
  return newEvent('contact.updated', {
    ...contactEventData(after),
    changes: Object.keys(changes),
    ...(changes.tags ? { tags_added: changes.tags.filter((t) => !before.tags.includes(t)) } : {}),
  });
}

/** A new contact and its contact.created event; `input` must be normalised. */
export function newContact(
  orgId: string,
  input: ContactInput,
  source: ContactSource,
  opts: { lastInboundAt?: Date | null; now?: Date } = {},
): { contact: ContactDoc; event: OutboxEvent } {
  if (!input.phone_number && !input.user_id) {
    throw new ValidationError('give phone_number or user_id (or both)');
  }
  const now = opts.now ?? new Date();
  const contact: ContactDoc = {
    _id: randomUUID(),
    org_id: orgId,
    phone_number: input.phone_number ?? null,
    user_id: input.user_id ?? null,
    parent_user_id: input.parent_user_id ?? null,
    username: input.username ?? null,
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
  return { contact, event: newEvent('contact.created', contactEventData(contact)) };
}

/**
 * What an inbound message teaches about `current`: the ids it lacked (or a user id Meta now
 * gives for its number), the username and parent id as last seen, and a name if it had none.
 * An id another contact holds (`taken`) is left where it is.
 */
export function inboundFill(
  current: ContactDoc,
  who: CustomerIds,
  name: string | null,
  taken: { phone: boolean; userId: boolean },
): ContactPatch {
  const patch: ContactPatch = {};
  if (who.phone && !current.phone_number && !taken.phone) patch.phone_number = who.phone;
  if (who.userId && !taken.userId) patch.user_id = who.userId;
  if (who.parentUserId) patch.parent_user_id = who.parentUserId;
  if (who.username) patch.username = who.username;
  if (name && !current.name) patch.name = name;
  return patch;
}

/** `to`'s ids on the contact found by the old ones; an id another contact holds stays there. */
export function idChange(
  to: CustomerIds,
  taken: { phone: boolean; userId: boolean },
): ContactPatch {
  const patch: ContactPatch = {};
  if (to.phone && !taken.phone) patch.phone_number = to.phone;
  if (to.userId && !taken.userId) {
    patch.user_id = to.userId;
    patch.parent_user_id = to.parentUserId ?? null;
  }
  return patch;
}

/** `who` with its number in E.164 (a ValidationError if it is none) and its ids trimmed. */
export function normalizeIds<T extends Partial<CustomerIds>>(who: T): T {
  const trim = (v: string | null | undefined) => v?.trim() || null;
  return {
    ...who,
    phone: who.phone ? requirePhone(who.phone) : null,
    userId: trim(who.userId),
    ...(who.parentUserId !== undefined ? { parentUserId: trim(who.parentUserId) } : {}),
    ...(who.username !== undefined ? { username: trim(who.username) } : {}),
  };
}

/** The new contact an inbound message makes: opted in, named from the profile. */
export function inboundContact(
  orgId: string,
  who: CustomerIds,
  name: string | null,
  at: Date | null,
): { contact: ContactDoc; event: OutboxEvent } {
  return newContact(
    orgId,
    {
      ...(who.phone ? { phone_number: who.phone } : {}),
      ...(who.userId ? { user_id: who.userId } : {}),
      parent_user_id: who.parentUserId ?? null,
      username: who.username ?? null,
      name,
      opted_in: true,
    },
    'whatsapp_webhook',
    { lastInboundAt: at },
  );
}

/** Of the contacts holding `who`'s ids, the one to use (by user id first) and who holds what. */
export function pickMatch<T extends ContactDoc>(
  rows: readonly T[],
  who: Pick<CustomerIds, 'phone' | 'userId'>,
): { contact: T | null; byPhone: T | null; byUserId: T | null } {
  const byUserId = (who.userId && rows.find((r) => r.user_id === who.userId)) || null;
  const byPhone = (who.phone && rows.find((r) => r.phone_number === who.phone)) || null;
  return { contact: byUserId ?? byPhone, byPhone, byUserId };
}

export interface ChangeResult {
  contact: ContactDoc;
  /** The fields whose value changed; empty when the patch changed nothing (and no event). */
  changes: EditableField[];
}

export type BulkRowResult =
  | { status: 'created' | 'updated'; id: string; /** An event was recorded. */ changed: boolean }
  | { status: 'error'; error: string };

export interface BulkRow {
  index: number;
  /** Bulk rows are matched by phone number: each has one. */
  input: ContactInput & { phone_number: string };
}

/**
 * Normalises bulk rows: the valid ones in their order, and a result for each invalid one.
 * The results array is indexed by row; the caller fills in the valid rows' results.
 */
export function prepareBulkRows(rows: readonly ContactInput[]): {
  valid: BulkRow[];
  results: BulkRowResult[];
} {
  const results = new Array<BulkRowResult>(rows.length);
  const valid: BulkRow[] = [];
  rows.forEach((row, index) => {
    try {
      const input = normalizePatch(row);
      if (!input.phone_number) throw new ValidationError('phone_number: required');
      valid.push({ index, input: { ...input, phone_number: input.phone_number } });
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      results[index] = { status: 'error', error: err.message };
    }
  });
  return { valid, results };
}

/** The rows of each phone number, in their order. */
export function groupByPhone(rows: readonly BulkRow[]): Map<string, BulkRow[]> {
  const groups = new Map<string, BulkRow[]>();
  for (const row of rows) {
    const group = groups.get(row.input.phone_number);
    if (group) group.push(row);
    else groups.set(row.input.phone_number, [row]);
  }
  return groups;
}

import { ValidationError } from '../lib/errors';

/** The parts of Meta's WhatsApp webhook payload that Waflow reads. */

export interface MetaWebhook {
  object?: string;
  entry?: {
    id?: string;
    /** When Meta sent an account-level change (epoch seconds). */
    time?: number;
    changes?: { field?: string; value?: MetaChangeValue }[];
  }[];
}

export interface MetaChangeValue {
  /** Account-level fields carry their own keys (`event`, `message_template_id`...). */
  [key: string]: unknown;
  messaging_product?: string;
  metadata?: { phone_number_id?: string; display_phone_number?: string };
  /** Since 2026 also the business-scoped user ids; a username-only customer has no wa_id. */
  contacts?: {
    wa_id?: string;
    user_id?: string;
    parent_user_id?: string;
    profile?: { name?: string; username?: string };
  }[];
  messages?: MetaInboundMessage[];
  statuses?: MetaStatus[];
}

export interface MetaInboundMessage {
  id: string;
  /** Absent for a customer known only by user id (a username with no recent conversation). */
  from?: string;
  from_user_id?: string;
  from_parent_user_id?: string;
  timestamp: string;
  type: string;
  text?: { body?: string };
  interactive?: {
    type?: string;
    button_reply?: { id?: string; title?: string };
    list_reply?: { id?: string; title?: string; description?: string };
  };
  button?: { text?: string; payload?: string };
  reaction?: { message_id?: string; emoji?: string };
  system?: MetaSystemMessage;
  [type: string]: unknown;
}

/** `user_changed_number` and `user_changed_user_id`: a customer's ids changed. */
export interface MetaSystemMessage {
  type?: string;
  body?: string;
  /** The new number (`user_changed_number`). */
  wa_id?: string;
  /** The new business-scoped user id, and the one it replaces. */
  user_id?: string;
  parent_user_id?: string;
  previous_user_id?: string;
  previous_parent_user_id?: string;
}

export interface MetaStatus {
  id: string;
  status: string;
  timestamp: string;
  recipient_id?: string;
  /** The recipient's business-scoped user id; alone for a customer with no number. */
  recipient_user_id?: string;
  recipient_parent_user_id?: string;
  biz_opaque_callback_data?: string;
  /** Meta's charge for the message (PMP since July 2025): billable, category, type, model. */
  pricing?: { billable?: boolean; category?: string; type?: string; pricing_model?: string };
  conversation?: { id?: string; origin?: { type?: string }; expiration_timestamp?: string };
  errors?: { code?: number; title?: string; message?: string; error_data?: { details?: string } }[];
}

const DIGITS = 'must be a string of digits';
const PHONE_NUMBER_ID = /^\d{1,32}$/;

type Path = (string | number)[];

function invalid(path: Path, message: string): never {
  const at = path.length ? path.join('.') : 'body';
  throw new ValidationError(`Invalid webhook payload: ${at}: ${message}`);
}

const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

function object(v: unknown, path: Path): Record<string, unknown> {
  if (kind(v) !== 'object') invalid(path, `expected object, received ${kind(v)}`);
  return v as Record<string, unknown>;
}

function array(v: unknown, path: Path): unknown[] {
  if (!Array.isArray(v)) invalid(path, `expected array, received ${kind(v)}`);
  return v;
}

function string(v: unknown, path: Path): void {
  if (typeof v !== 'string') invalid(path, `expected string, received ${kind(v)}`);
}

/** An optional list of objects (contacts, messages, statuses). */
function objects(v: unknown, path: Path): void {
  if (v === undefined) return;
  array(v, path).forEach((item, i) => object(item, [...path, i]));
}

/**
 * The envelope of Meta's webhooks, checked before anything in it is looked up: the phone
 * number id becomes a store query, so only a string of digits may reach it. Other fields are
 * kept as sent (Meta adds new ones). Checked by hand rather than by a schema: every status
 * Meta posts passes here, and a schema would copy each object it checks.
 */
function checkEnvelope(json: unknown): void {
  const body = object(json, []);
  string(body.object, ['object']);
  array(body.entry, ['entry']).forEach((e, i) => {
    const entry = object(e, ['entry', i]);
    string(entry.id, ['entry', i, 'id']);
    array(entry.changes, ['entry', i, 'changes']).forEach((c, j) => {
      const at: Path = ['entry', i, 'changes', j];
      const change = object(c, at);
      string(change.field, [...at, 'field']);
      const value = object(change.value, [...at, 'value']);
      if (value.metadata !== undefined) {
        const metadata = object(value.metadata, [...at, 'value', 'metadata']);
        const id = metadata.phone_number_id;
        if (id !== undefined && (typeof id !== 'string' || !PHONE_NUMBER_ID.test(id))) {
          invalid([...at, 'value', 'metadata', 'phone_number_id'], DIGITS);
        }
      }
      for (const key of ['contacts', 'messages', 'statuses']) {
        objects(value[key], [...at, 'value', key]);
      }
    });
  });
}

/** Meta's webhook from its JSON text; a ValidationError names what is wrong with it. */
export function parseMetaWebhook(text: string): MetaWebhook {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ValidationError('Body is not valid JSON');
  }
  checkEnvelope(json);
  // Checked where Waflow reads it; the rest is as Meta sent it.
  return json as MetaWebhook;
}

/** The phone number ids a webhook is about: they decide whose app secret signs it. */
export function phoneNumberIds(payload: MetaWebhook): string[] {
  const ids = new Set<string>();
  for (const entry of payload.entry ?? []) {
    for (const change of entry.changes ?? []) {
      const id = change.value?.metadata?.phone_number_id;
      if (id) ids.add(id);
    }
  }
  return [...ids];
}

/** A readable text for an inbound message, as `message.incoming` carries it. */
export function inboundText(m: MetaInboundMessage): string | null {
  switch (m.type) {
    case 'text':
      return m.text?.body ?? null;
    case 'interactive':
      return m.interactive?.button_reply?.title ?? m.interactive?.list_reply?.title ?? null;
    case 'button':
      return m.button?.text ?? null;
    case 'reaction':
      return m.reaction?.emoji ?? null;
    default: {
      const caption = (m[m.type] as { caption?: unknown } | undefined)?.caption;
      return typeof caption === 'string' ? caption : null;
    }
  }
}

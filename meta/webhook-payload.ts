import { z } from 'zod';
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
const list = z.array(z.looseObject({})).optional();

/**
 * The envelope of Meta's webhooks, checked before anything in it is looked up: the phone
 * number id becomes a store query, so only a string of digits may reach it. Other fields are
 * kept as sent (Meta adds new ones).
 */
const MetaWebhookSchema = z.looseObject({
  object: z.string(),
  entry: z.array(
    z.looseObject({
      id: z.string(),
      changes: z.array(
        z.looseObject({
          field: z.string(),
          value: z.looseObject({
            metadata: z
              .looseObject({
                phone_number_id: z
                  .string({ error: DIGITS })
                  .regex(/^\d{1,32}$/, DIGITS)
                  .optional(),
              })
              .optional(),
            contacts: list,
            messages: list,
            statuses: list,
          }),
        }),
      ),
    }),
  ),
});

/** Meta's webhook from its JSON text; a ValidationError names what is wrong with it. */
export function parseMetaWebhook(text: string): MetaWebhook {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ValidationError('Body is not valid JSON');
  }
  const parsed = MetaWebhookSchema.safeParse(json);
  if (!parsed.success) {
    const [issue] = parsed.error.issues;
    const at = issue!.path.length ? issue!.path.join('.') : 'body';
    throw new ValidationError(`Invalid webhook payload: ${at}: ${issue!.message}`);
  }
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

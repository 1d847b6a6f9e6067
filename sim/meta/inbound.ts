import { randomBytes } from 'node:crypto';
import { normalizePhone, toWaId } from '../../lib/phone';
import { mediaId, newWamid, userIdFor } from './ids';
import type { PhoneNumber } from './state';
import { envelope } from './statuses';

export const INBOUND_TYPES = [
  'text',
  'image',
  'video',
  'audio',
  'document',
  'sticker',
  'location',
  'contacts',
  'interactive',
  'reaction',
  'button',
] as const;
export type InboundType = (typeof INBOUND_TYPES)[number];

type Obj = Record<string, unknown>;

/** A customer's message to a business number, in short form or as a raw Meta message. */
export interface InboundInput {
  phone_number_id: string;
  /** The customer's number, E.164 or WhatsApp id; absent for a username-only user. */
  from?: string;
  /** A username-only user (no `from`): the webhook carries their user id, not their number. */
  username?: string;
  /** Their business-scoped user id; derived from the number or username when absent. */
  user_id?: string;
  /** Profile name shown in `contacts[0].profile.name`. */
  name?: string;
  type?: InboundType;
  /** The text of a `text` message. */
  text?: string;
  /** The business message this one replies or reacts to (`context.id`). */
  context_id?: string;
  image?: Obj;
  video?: Obj;
  audio?: Obj;
  document?: Obj;
  sticker?: Obj;
  location?: { latitude: number; longitude: number; name?: string; address?: string };
  contacts?: Obj[];
  interactive?:
    | { type: 'button_reply'; button_reply: { id: string; title: string } }
    | { type: 'list_reply'; list_reply: { id: string; title: string; description?: string } };
  reaction?: { message_id: string; emoji?: string };
  /** A tap on a template's quick reply button. */
  button?: { payload: string; text: string };
  /** A Meta message object used as is; from, id and timestamp are filled in when missing. */
  message?: Obj;
}

export class InboundError extends Error {}

const MIME: Record<string, string> = {
  image: 'image/jpeg',
  video: 'video/mp4',
  audio: 'audio/ogg; codecs=opus',
  document: 'application/pdf',
  sticker: 'image/webp',
};

function content(type: InboundType, input: InboundInput): Obj {
  const need = <T>(value: T | undefined, what: string): T => {
    if (value === undefined || value === null) throw new InboundError(`${what} is required`);
    return value;
  };
  switch (type) {
    case 'text':
      return { text: { body: need(input.text, 'text') } };
    case 'image':
    case 'video':
    case 'audio':
    case 'document':
    case 'sticker':
      return {
        [type]: {
          mime_type: MIME[type],
          sha256: randomBytes(32).toString('base64'),
          id: mediaId(),
          ...(input[type] ?? {}),
        },
      };
    case 'location':
      return { location: need(input.location, 'location') };
    case 'contacts':
      return { contacts: need(input.contacts, 'contacts') };
    case 'interactive':
      return { interactive: need(input.interactive, 'interactive') };
    case 'reaction':
      return { reaction: need(input.reaction, 'reaction') };
    case 'button':
      return { button: need(input.button, 'button') };
  }
}

/** Who writes: a number (with its BSUID), or a username-only user (a BSUID and no number). */
export function senderOf(input: Pick<InboundInput, 'from' | 'username' | 'user_id'>) {
  if (input.from === undefined) {
    if (!input.username) throw new InboundError('from or username is required');
    const userId = input.user_id ?? userIdFor(`username:${input.username}`);
    return { waId: null, userId, key: userId };
  }
  const phone = normalizePhone(input.from);
  if (!phone) throw new InboundError('from must be a phone number with its country code');
  const waId = toWaId(phone);
  const userId = input.user_id ?? userIdFor(waId);
  return { waId, userId, key: waId };
}

/**
 * Builds Meta's `messages` webhook for a customer's message. Since 2026 it carries the user's
 * BSUID (`from_user_id`, `contacts[].user_id`); a username-only user's has no `from`/`wa_id`.
 */
export function inboundPayload(number: PhoneNumber, input: InboundInput, nowMs: number) {
  const { waId, userId, key } = senderOf(input);
  const base: Obj = {
    ...(waId ? { from: waId } : {}),
    from_user_id: userId,
    id: newWamid(key),
    timestamp: String(Math.floor(nowMs / 1000)),
  };
  let message: Obj;
  if (input.message) {
    message = { ...base, ...input.message };
  } else {
    const type = input.type ?? (input.text !== undefined ? 'text' : undefined);
    if (!type) throw new InboundError('type is required');
    if (!(INBOUND_TYPES as readonly string[]).includes(type))
      throw new InboundError(`type must be one of: ${INBOUND_TYPES.join(', ')}`);
    message = {
      ...(input.context_id === undefined
        ? {}
        : { context: { from: number.displayPhoneNumber, id: input.context_id } }),
      ...base,
      type,
      ...content(type, input),
    };
  }
  const wamid = String(message.id);
  const profile = {
    name: input.name ?? 'Sandbox User',
    ...(input.username ? { username: input.username } : {}),
  };
  const payload = envelope(number, {
    contacts: [{ profile, ...(waId ? { wa_id: waId } : {}), user_id: userId }],
    messages: [message],
  });
  return { wamid, waId: key, userId, phone: waId, payload };
}

/** A user's ids change: `user_changed_number` or `user_changed_user_id`. */
export interface SystemInput {
  phone_number_id: string;
  type: 'user_changed_number' | 'user_changed_user_id';
  /** The user's number (user_changed_number: the old one). */
  from?: string;
  /** A username-only user, or the user's current BSUID (user_changed_user_id). */
  username?: string;
  user_id?: string;
  /** user_changed_number: the new number. */
  new_phone?: string;
  /** user_changed_user_id: the new BSUID (derived when absent). */
  new_user_id?: string;
}

/**
 * Meta's system message for a change of ids (no contacts array). A new number brings a new
 * BSUID; both carry the previous one in `system.previous_user_id`.
 */
export function systemPayload(number: PhoneNumber, input: SystemInput, nowMs: number) {
  const before = senderOf(input);
  const timestamp = String(Math.floor(nowMs / 1000));
  if (input.type === 'user_changed_number') {
    const next = normalizePhone(input.new_phone ?? '');
    if (!before.waId) throw new InboundError('from is required for user_changed_number');
    if (!next) throw new InboundError('new_phone must be a phone number with its country code');
    const newWaId = toWaId(next);
    const after = { waId: newWaId, userId: userIdFor(newWaId) };
    const message = {
      from: before.waId,
      from_user_id: after.userId,
      id: newWamid(before.waId),
      timestamp,
      type: 'system',
      system: {
        body: `User ${input.username ?? 'Sandbox User'} changed from ${before.waId} to ${newWaId}`,
        wa_id: newWaId,
        type: 'user_changed_number',
        user_id: after.userId,
        previous_user_id: before.userId,
      },
    };
    return { wamid: message.id, before, after, payload: envelope(number, { messages: [message] }) };
  }
  const newUserId = input.new_user_id ?? userIdFor(`${before.userId}:next`);
  const after = { waId: before.waId, userId: newUserId };
  const message = {
    ...(before.waId ? { from: before.waId } : {}),
    from_user_id: newUserId,
    id: newWamid(before.key),
    timestamp,
    type: 'system',
    system: {
      body: `User ${input.username ?? 'Sandbox User'}'s business-scoped user id changed`,
      type: 'user_changed_user_id',
      user_id: newUserId,
      previous_user_id: before.userId,
    },
  };
  return { wamid: message.id, before, after, payload: envelope(number, { messages: [message] }) };
}

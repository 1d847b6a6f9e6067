import { randomBytes } from 'node:crypto';
import { normalizePhone, toWaId } from '../../lib/phone';
import { mediaId, newWamid } from './ids';
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
  /** The customer's number, E.164 or WhatsApp id. */
  from: string;
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

/** Builds Meta's `messages` webhook for a customer's message. */
export function inboundPayload(number: PhoneNumber, input: InboundInput, nowMs: number) {
  const phone = normalizePhone(input.from);
  if (!phone) throw new InboundError('from must be a phone number with its country code');
  const waId = toWaId(phone);
  const base: Obj = {
    from: waId,
    id: newWamid(waId),
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
  const payload = envelope(number, {
    contacts: [{ profile: { name: input.name ?? 'Sandbox User' }, wa_id: waId }],
    messages: [message],
  });
  return { wamid, waId, payload };
}

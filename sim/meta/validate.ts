import { normalizePhone, toWaId } from '../../lib/phone';
import {
  array,
  checkMedia,
  coordinate,
  fail,
  get,
  isObj,
  name,
  object,
  oneOf,
  optionalString,
  string,
  type Obj,
  type Path,
} from './checks';
import { checkTemplate, type TemplateSend } from './validate-template';

export const MESSAGE_TYPES = [
  'text',
  'template',
  'image',
  'video',
  'document',
  'audio',
  'sticker',
  'interactive',
  'reaction',
  'location',
  'contacts',
] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

export interface OutboundMessage {
  /** `to` (or `recipient`) exactly as given, echoed in the answer's contacts[].input. */
  to: string;
  /** The number; for a send by `recipient`, the BSUID until the caller resolves it. */
  waId: string;
  /** The business-scoped user id a send by `recipient` named. */
  userId: string | null;
  type: MessageType;
  template: TemplateSend | null;
  bizOpaqueCallbackData: string | null;
}

/** Checks a send request the way the Cloud API does, naming the first thing that is wrong. */
export function validateSend(input: unknown): OutboundMessage {
  const body = isObj(input) ? input : fail('The request body must be a JSON object.');
  if (body.messaging_product !== 'whatsapp') {
    fail(
      body.messaging_product === undefined
        ? 'The parameter messaging_product is required.'
        : "The parameter messaging_product must be 'whatsapp'.",
    );
  }
  if (body.recipient_type !== undefined)
    oneOf(body.recipient_type, ['recipient_type'], ['individual', 'group']);
  // A business-scoped user id goes in `recipient`, in place of `to`.
  const byUserId = body.to === undefined && body.recipient !== undefined;
  const to = byUserId ? string(body.recipient, ['recipient']) : string(body.to, ['to']);
  const phone = byUserId
    ? null
    : (normalizePhone(to) ??
      fail('The parameter to must be a phone number with its country code.'));
  const type = body.type === undefined ? 'text' : oneOf(body.type, ['type'], MESSAGE_TYPES);
  if (body.context !== undefined) {
    string(object(body.context, ['context']).message_id, ['context', 'message_id']);
  }
  let bizOpaque: string | null = null;
  if (body.biz_opaque_callback_data !== undefined) {
    bizOpaque = string(body.biz_opaque_callback_data, ['biz_opaque_callback_data'], { max: 512 });
  }
  let template: TemplateSend | null = null;
  if (type === 'contacts') checkContacts(body.contacts);
  else if (type === 'template') template = checkTemplate(object(body.template, ['template']));
  else CHECKS[type](object(body[type], [type]), [type]);
  return {
    to,
    waId: phone ? toWaId(phone) : to,
    userId: phone ? null : to,
    type,
    template,
    bizOpaqueCallbackData: bizOpaque,
  };
}

function checkText(o: Obj, path: Path) {
  string(o.body, [...path, 'body'], { max: 4096 });
  if (o.preview_url !== undefined && typeof o.preview_url !== 'boolean')
    fail(`The parameter ${name([...path, 'preview_url'])} must be a boolean.`);
}

function checkInteractive(o: Obj, path: Path) {
  const kind = oneOf(o.type, [...path, 'type'], [
    'button',
    'list',
    'cta_url',
    'flow',
    'product',
    'product_list',
    'location_request_message',
  ] as const);
  const action = object(o.action, [...path, 'action']);
  const actionPath = [...path, 'action'];
  if (kind === 'product') return;
  const bodyText = get(object(o.body, [...path, 'body']), [...path, 'body'], 'text');
  string(bodyText.value, bodyText.path, { max: 1024 });
  if (kind === 'button') {
    const buttons = array(action.buttons, [...actionPath, 'buttons'], 1, 3);
    buttons.forEach((b, i) => {
      const p = [...actionPath, 'buttons', i];
      const button = object(b, p);
      oneOf(button.type, [...p, 'type'], ['reply'] as const);
      const reply = object(button.reply, [...p, 'reply']);
      string(reply.id, [...p, 'reply', 'id'], { max: 256 });
      string(reply.title, [...p, 'reply', 'title'], { max: 20 });
    });
  } else if (kind === 'list') {
    string(action.button, [...actionPath, 'button'], { max: 20 });
    const sections = array(action.sections, [...actionPath, 'sections'], 1, 10);
    sections.forEach((s, i) => {
      const p = [...actionPath, 'sections', i];
      const rows = array(object(s, p).rows, [...p, 'rows'], 1, 10);
      rows.forEach((r, j) => {
        const rp = [...p, 'rows', j];
        const row = object(r, rp);
        string(row.id, [...rp, 'id'], { max: 200 });
        string(row.title, [...rp, 'title'], { max: 24 });
      });
    });
  } else if (kind === 'cta_url') {
    const parameters = object(action.parameters, [...actionPath, 'parameters']);
    string(parameters.display_text, [...actionPath, 'parameters', 'display_text'], { max: 20 });
    string(parameters.url, [...actionPath, 'parameters', 'url']);
  }
}

function checkReaction(o: Obj, path: Path) {
  string(o.message_id, [...path, 'message_id']);
  // An empty emoji removes the reaction.
  string(o.emoji, [...path, 'emoji'], { empty: true });
}

function checkLocation(o: Obj, path: Path) {
  coordinate(o.latitude, [...path, 'latitude'], 90);
  coordinate(o.longitude, [...path, 'longitude'], 180);
  optionalString(o.name, [...path, 'name']);
  optionalString(o.address, [...path, 'address']);
}

function checkContacts(v: unknown) {
  array(v, ['contacts'], 1, 257).forEach((c, i) => {
    const contactName = object(object(c, ['contacts', i]).name, ['contacts', i, 'name']);
    string(contactName.formatted_name, ['contacts', i, 'name', 'formatted_name']);
  });
}

const CHECKS: Record<
  Exclude<MessageType, 'template' | 'contacts'>,
  (o: Obj, path: Path) => void
> = {
  text: checkText,
  image: checkMedia(true),
  video: checkMedia(true),
  document: checkMedia(true),
  audio: checkMedia(false),
  sticker: checkMedia(false),
  interactive: checkInteractive,
  reaction: checkReaction,
  location: checkLocation,
};

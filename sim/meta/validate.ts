import { isOneEmoji } from '../../lib/emoji';
import { normalizePhone, toWaId } from '../../lib/phone';
import {
  array,
  checkMedia,
  coordinate,
  fail,
  failValue,
  get,
  isObj,
  name,
  object,
  oneOf,
  optionalString,
  string,
  unique,
  url,
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
  /** Messages it names (a reply's context, a reaction's target), which must exist in the chat. */
  targets: { path: string; wamid: string }[];
  /** What the send log keeps of it: its type's object and the message it replies to. */
  content: unknown;
  context: { message_id: string } | null;
}

/** A read receipt rather than a message: `status` in place of `to` and `type`. */
export const isReadReceipt = (body: unknown) => isObj(body) && body.status !== undefined;

/** Checks a read receipt (`status: read`, `message_id`, `typing_indicator?`) as Meta does. */
export function validateReadReceipt(input: unknown): {
  messageId: string;
  typingIndicator: boolean;
} {
  const body = input as Obj;
  if (body.messaging_product !== 'whatsapp') {
    fail("The parameter messaging_product must be 'whatsapp'.");
  }
  oneOf(body.status, ['status'], ['read'] as const);
  const messageId = string(body.message_id, ['message_id']);
  if (body.typing_indicator === undefined) return { messageId, typingIndicator: false };
  const typing = object(body.typing_indicator, ['typing_indicator']);
  oneOf(typing.type, ['typing_indicator', 'type'], ['text'] as const);
  return { messageId, typingIndicator: true };
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
  const targets: OutboundMessage['targets'] = [];
  let context: OutboundMessage['context'] = null;
  if (body.context !== undefined) {
    const message_id = string(object(body.context, ['context']).message_id, [
      'context',
      'message_id',
    ]);
    context = { message_id };
    targets.push({ path: name(['context', 'message_id']), wamid: message_id });
  }
  let bizOpaque: string | null = null;
  if (body.biz_opaque_callback_data !== undefined) {
    bizOpaque = string(body.biz_opaque_callback_data, ['biz_opaque_callback_data'], { max: 512 });
  }
  let template: TemplateSend | null = null;
  if (type === 'contacts') checkContacts(body.contacts);
  else if (type === 'template') template = checkTemplate(object(body.template, ['template']));
  else CHECKS[type](object(body[type], [type]), [type]);
  if (type === 'reaction') {
    const wamid = (body.reaction as Obj).message_id as string;
    targets.push({ path: name(['reaction', 'message_id']), wamid });
  }
  return {
    to,
    waId: phone ? toWaId(phone) : to,
    userId: phone ? null : to,
    type,
    template,
    bizOpaqueCallbackData: bizOpaque,
    targets,
    content: body[type],
    context,
  };
}

function checkText(o: Obj, path: Path) {
  string(o.body, [...path, 'body'], { max: 4096 });
  if (o.preview_url !== undefined && typeof o.preview_url !== 'boolean')
    fail(`The parameter ${name([...path, 'preview_url'])} must be a boolean.`);
}

const HEADER_TYPES = ['text', 'image', 'video', 'document'] as const;

function checkHeader(v: unknown, path: Path, types: readonly string[]) {
  if (v === undefined) return;
  const header = object(v, path);
  const type = oneOf(header.type, [...path, 'type'], types);
  if (type === 'text') string(header.text, [...path, 'text'], { max: 60 });
  else checkMedia(false)(object(header[type], [...path, type]), [...path, type]);
}

function checkFooter(v: unknown, path: Path) {
  if (v !== undefined) string(object(v, path).text, [...path, 'text'], { max: 60 });
}

function actionName(action: Obj, path: Path, expected: string) {
  oneOf(action.name, [...path, 'name'], [expected]);
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
    'address_message',
  ] as const);
  const action = object(o.action, [...path, 'action']);
  const actionPath = [...path, 'action'];
  if (kind === 'product') return;
  const bodyText = get(object(o.body, [...path, 'body']), [...path, 'body'], 'text');
  string(bodyText.value, bodyText.path, { max: kind === 'list' ? 4096 : 1024 });
  checkFooter(o.footer, [...path, 'footer']);
  const bodyOnly = kind === 'location_request_message' || kind === 'address_message';
  if (bodyOnly && o.header !== undefined) {
    fail(`The parameter ${name([...path, 'header'])} is not allowed for this interactive type.`);
  }
  if (!bodyOnly && kind !== 'product_list') {
    checkHeader(o.header, [...path, 'header'], kind === 'list' ? ['text'] : HEADER_TYPES);
  }
  if (kind === 'button') {
    const buttons = array(action.buttons, [...actionPath, 'buttons'], 1, 3);
    const ids = buttons.map((b, i) => {
      const p = [...actionPath, 'buttons', i];
      const button = object(b, p);
      oneOf(button.type, [...p, 'type'], ['reply'] as const);
      const reply = object(button.reply, [...p, 'reply']);
      string(reply.title, [...p, 'reply', 'title'], { max: 20 });
      return string(reply.id, [...p, 'reply', 'id'], { max: 256 });
    });
    unique(ids, [...actionPath, 'buttons']);
  } else if (kind === 'list') {
    string(action.button, [...actionPath, 'button'], { max: 20 });
    const sections = array(action.sections, [...actionPath, 'sections'], 1, 10);
    const ids = sections.flatMap((s, i) => {
      const p = [...actionPath, 'sections', i];
      const section = object(s, p);
      if (sections.length > 1 || section.title !== undefined) {
        string(section.title, [...p, 'title'], { max: 24 });
      }
      return array(section.rows, [...p, 'rows'], 1, 10).map((r, j) => {
        const rp = [...p, 'rows', j];
        const row = object(r, rp);
        string(row.title, [...rp, 'title'], { max: 24 });
        optionalString(row.description, [...rp, 'description'], 72);
        return string(row.id, [...rp, 'id'], { max: 200 });
      });
    });
    if (ids.length > 10) {
      failValue(
        `The parameter ${name([...actionPath, 'sections'])} must have at most 10 rows in all.`,
      );
    }
    unique(ids, [...actionPath, 'sections']);
  } else if (kind === 'cta_url') {
    actionName(action, actionPath, 'cta_url');
    const parameters = object(action.parameters, [...actionPath, 'parameters']);
    string(parameters.display_text, [...actionPath, 'parameters', 'display_text'], { max: 20 });
    url(parameters.url, [...actionPath, 'parameters', 'url']);
  } else if (kind === 'location_request_message') {
    actionName(action, actionPath, 'send_location');
  } else if (kind === 'address_message') {
    actionName(action, actionPath, 'address_message');
    const parameters = object(action.parameters, [...actionPath, 'parameters']);
    oneOf(parameters.country, [...actionPath, 'parameters', 'country'], ['IN', 'SG']);
  } else if (kind === 'flow') {
    checkFlow(action, actionPath);
  }
}

function checkFlow(action: Obj, path: Path) {
  actionName(action, path, 'flow');
  const pPath = [...path, 'parameters'];
  const p = object(action.parameters, pPath);
  oneOf(p.flow_message_version, [...pPath, 'flow_message_version'], ['3']);
  if ((p.flow_id === undefined) === (p.flow_name === undefined)) {
    fail(`The parameter ${name(pPath)} requires exactly one of 'flow_id' or 'flow_name'.`);
  }
  optionalString(p.flow_id, [...pPath, 'flow_id']);
  optionalString(p.flow_name, [...pPath, 'flow_name']);
  string(p.flow_cta, [...pPath, 'flow_cta'], { max: 20 });
  optionalString(p.flow_token, [...pPath, 'flow_token']);
  if (p.mode !== undefined) oneOf(p.mode, [...pPath, 'mode'], ['draft', 'published']);
  const flowAction =
    p.flow_action === undefined
      ? 'navigate'
      : oneOf(p.flow_action, [...pPath, 'flow_action'], ['navigate', 'data_exchange']);
  if (flowAction === 'navigate') {
    const payload = object(p.flow_action_payload, [...pPath, 'flow_action_payload']);
    string(payload.screen, [...pPath, 'flow_action_payload', 'screen']);
  } else if (p.flow_action_payload !== undefined) {
    fail(
      `The parameter ${name([...pPath, 'flow_action_payload'])} is only for flow_action navigate.`,
    );
  }
}

function checkReaction(o: Obj, path: Path) {
  string(o.message_id, [...path, 'message_id']);
  // An empty emoji removes the reaction.
  const emoji = string(o.emoji, [...path, 'emoji'], { empty: true });
  if (emoji !== '' && !isOneEmoji(emoji)) {
    failValue(`The parameter ${name([...path, 'emoji'])} must be a single emoji.`);
  }
}

function checkLocation(o: Obj, path: Path) {
  coordinate(o.latitude, [...path, 'latitude'], 90);
  coordinate(o.longitude, [...path, 'longitude'], 180);
  optionalString(o.name, [...path, 'name']);
  optionalString(o.address, [...path, 'address']);
}

function checkContacts(v: unknown) {
  array(v, ['contacts'], 1, 257).forEach((c, i) => {
    const contact = object(c, ['contacts', i]);
    const contactName = object(contact.name, ['contacts', i, 'name']);
    string(contactName.formatted_name, ['contacts', i, 'name', 'formatted_name']);
    for (const list of ['phones', 'emails', 'urls', 'addresses'] as const) {
      if (contact[list] === undefined) continue;
      array(contact[list], ['contacts', i, list], 0, 20).forEach((e, j) =>
        object(e, ['contacts', i, list, j]),
      );
    }
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

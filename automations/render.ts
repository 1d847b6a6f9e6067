import { mapStrings } from '../lib/map-strings';
import { fillPlaceholders, placeholdersIn, placeholderText } from '../lib/placeholders';
import {
  type ContactCardRequest,
  toMetaContent,
  type MessageContentRequest,
  type MetaContent,
  type TemplateComponentRequest,
} from '../meta/messages';
import type { AutomationMessage, InboundFacts } from '../store/contract/automations';
import type { ContactDoc } from '../store/documents';

/**
 * What a run's placeholders and conditions read: the contact, the values its run_action steps
 * gave, and the customer's latest message (the trigger, or the latest reply).
 */
export interface RunScope {
  contact: ContactDoc;
  action: Record<string, string>;
  message: InboundFacts | null;
}

const CONTACT_FIELDS = new Set(['name', 'phone_number', 'email', 'stage', 'username', 'user_id']);
const MESSAGE_FIELDS = new Set(['text', 'type', 'button', 'list_reply']);

/**
 * Placeholders: `{{name}}`, `{{phone_number}}`, `{{email}}`, `{{stage}}`, `{{username}}`,
 * `{{user_id}}`, `{{custom_fields.<key>}}`, `{{action.<key>}}`, and the customer's latest
 * message: `{{message.text}}`, `{{message.type}}`, `{{message.button}}`,
 * `{{message.list_reply}}`. Each may have a default after a bar.
 */
export function knownKey(key: string): boolean {
  const dot = key.indexOf('.');
  if (dot < 0) return CONTACT_FIELDS.has(key);
  const head = key.slice(0, dot);
  const rest = key.slice(dot + 1);
  if (!rest || rest.includes('.')) return false;
  if (head === 'custom_fields' || head === 'action') return true;
  return head === 'message' && MESSAGE_FIELDS.has(rest);
}

/** A key's raw value in the scope: undefined when it has none. */
export function scopeValue(scope: RunScope, key: string): unknown {
  const dot = key.indexOf('.');
  if (dot < 0) {
    return CONTACT_FIELDS.has(key) ? scope.contact[key as keyof ContactDoc] : undefined;
  }
  const head = key.slice(0, dot);
  const rest = key.slice(dot + 1);
  const own = (o: Record<string, unknown> | null | undefined) =>
    o && Object.hasOwn(o, rest) ? o[rest] : undefined;
  if (head === 'custom_fields') return own(scope.contact.custom_fields);
  if (head === 'action') return own(scope.action);
  if (head === 'message' && MESSAGE_FIELDS.has(rest)) {
    return scope.message ? scope.message[rest as keyof InboundFacts] : undefined;
  }
  return undefined;
}

export function renderText(text: string, scope: RunScope): string {
  return fillPlaceholders(text, knownKey, (key) => placeholderText(scopeValue(scope, key)));
}

/** Every string of a value (a message, an event's data), for placeholder checks. */
export function stringsOf(value: unknown): string[] {
  const found: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === 'string') found.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(value);
  return found;
}

/** Placeholders in these strings that name nothing a run knows, each once, in order. */
export function unknownPlaceholders(strings: string[]): string[] {
  const unknown = strings
    .flatMap(placeholdersIn)
    .filter((p) => !knownKey(p.key))
    .map((p) => `{{${p.key}}}`);
  return [...new Set(unknown)];
}

/** The Meta message (`type` and its object) the contact gets, placeholders filled. */
export function renderAutomationMessage(message: AutomationMessage, scope: RunScope): MetaContent {
  const filled = mapStrings(message, (s) => renderText(s, scope)) as AutomationMessage;
  return toMetaContent(asRequest(filled));
}

function asRequest(message: AutomationMessage): MessageContentRequest {
  switch (message.type) {
    case 'text':
      return { type: 'text', text: message.text };
    case 'template':
      return {
        type: 'template',
        template: {
          name: message.template.name,
          language: message.template.language,
          components: message.template.components as unknown as TemplateComponentRequest[],
        },
      };
    case 'interactive':
      return {
        type: 'interactive',
        interactive: message.interactive as unknown as Extract<
          MessageContentRequest,
          { type: 'interactive' }
        >['interactive'],
      };
    case 'location':
      return { type: 'location', location: message.location };
    case 'contacts':
      return {
        type: 'contacts',
        contacts: message.contacts as unknown as ContactCardRequest[],
      };
    case 'sticker':
      return { type: 'sticker', sticker: { link: message.media.link } };
    default:
      return {
        type: message.type,
        [message.type]: message.media,
      } as unknown as MessageContentRequest;
  }
}

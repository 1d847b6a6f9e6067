import { mapStrings } from '../lib/map-strings';
import { fillPlaceholders, placeholdersIn, placeholderText } from '../lib/placeholders';
import type { CampaignMessage, ContactDoc } from '../store/documents';
import type { MetaContent } from '../meta/messages';

/**
 * Campaign placeholders: `{{name}}`, `{{phone_number}}`, `{{email}}`, `{{stage}}`,
 * `{{custom_fields.<key>}}` and, with an action, `{{action.<key>}}`, each with an optional default after a bar (`{{name | there}}`).
 * Whitespace inside the braces is ignored.
 */
const FIELDS = new Set(['name', 'phone_number', 'email', 'stage']);
const CUSTOM_FIELD = /^custom_fields\.([^.]+)$/;
/** `{{action.<key>}}`: a value of the result of the campaign's action for this contact. */
const ACTION_FIELD = /^action\.([^.]+)$/;

/** Values an action gave one recipient (actions/contact-values.ts). */
export type ActionValues = Record<string, string>;

function known(key: string): boolean {
  return FIELDS.has(key) || CUSTOM_FIELD.test(key) || ACTION_FIELD.test(key);
}

/** The contact's value for a known key; null when it has none (or the key is unknown). */
function valueOf(contact: ContactDoc, key: string, actionValues?: ActionValues): string | null {
  const custom = CUSTOM_FIELD.exec(key)?.[1];
  const fromAction = ACTION_FIELD.exec(key)?.[1];
  let value: unknown;
  if (fromAction !== undefined) {
    value =
      actionValues && Object.hasOwn(actionValues, fromAction) ? actionValues[fromAction] : null;
  } else if (custom !== undefined) {
    value = Object.hasOwn(contact.custom_fields, custom) ? contact.custom_fields[custom] : null;
  } else if (FIELDS.has(key)) {
    value = contact[key as 'name' | 'phone_number' | 'email' | 'stage'];
  }
  return placeholderText(value);
}

/** Every string of a message (the text, or each string inside the template's components). */
function strings(message: CampaignMessage): string[] {
  if (message.type === 'text') return [message.text];
  const found: string[] = [];
  const walk = (value: unknown): void => {
    if (typeof value === 'string') found.push(value);
    else if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') Object.values(value).forEach(walk);
  };
  walk(message.template.components);
  return found;
}

function fill(text: string, contact: ContactDoc, actionValues?: ActionValues): string {
  // Unknown placeholders are refused before a campaign is created; kept as written here.
  return fillPlaceholders(text, known, (key) => valueOf(contact, key, actionValues));
}

/** Whether the message has `{{action.<key>}}` placeholders. */
export function usesActionValues(message: CampaignMessage): boolean {
  return strings(message)
    .flatMap(placeholdersIn)
    .some((p) => ACTION_FIELD.test(p.key));
}

/** Placeholders the message uses that name no contact field, each once, in order. */
export function placeholderProblems(message: CampaignMessage): string[] {
  const unknown = strings(message)
    .flatMap(placeholdersIn)
    .filter((p) => !known(p.key) || (!message.action_id && ACTION_FIELD.test(p.key)))
    .map((p) =>
      known(p.key)
        ? `placeholder {{${p.key}}} needs an action_id`
        : `unknown placeholder {{${p.key}}}`,
    );
  return [...new Set(unknown)];
}

/**
 * Placeholders with neither a value for this contact nor a default: they render as empty
 * text. Meta refuses an empty template parameter, so a template recipient with any of these
 * fails at Meta; the preview lists them so a default can be added first.
 */
export function missingPlaceholders(
  message: CampaignMessage,
  contact: ContactDoc,
  actionValues?: ActionValues,
): string[] {
  const missing = strings(message)
    .flatMap(placeholdersIn)
    .filter(
      (p) =>
        known(p.key) && p.fallback === undefined && valueOf(contact, p.key, actionValues) === null,
    )
    .map((p) => p.key);
  return [...new Set(missing)];
}

/** The Meta message (`type` and its object) one recipient gets, placeholders filled. */
export function renderCampaignMessage(
  message: CampaignMessage,
  contact: ContactDoc,
  actionValues?: ActionValues,
): MetaContent {
  if (message.type === 'text') {
    return { type: 'text', content: { body: fill(message.text, contact, actionValues) } };
  }
  const { name, language, components } = message.template;
  return {
    type: 'template',
    content: {
      name,
      language: { code: language },
      ...(components.length
        ? { components: mapStrings(components, (s) => fill(s, contact, actionValues)) }
        : {}),
    },
  };
}

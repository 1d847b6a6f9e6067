/**
 * `{{key}}` placeholders, each with an optional default after a bar (`{{name | there}}`).
 * Whitespace inside the braces is ignored. What a key means is the caller's.
 */
const PLACEHOLDER = /\{\{([^{}|]*)(?:\|([^{}]*))?\}\}/g;

export interface Placeholder {
  key: string;
  /** The default after the bar; undefined when there is no bar. */
  fallback: string | undefined;
}

export function placeholdersIn(text: string): Placeholder[] {
  return Array.from(text.matchAll(PLACEHOLDER), (m) => ({
    key: (m[1] ?? '').trim(),
    fallback: m[2]?.trim(),
  }));
}

/**
 * The text with each known placeholder replaced by its value, else its default, else nothing;
 * unknown ones are kept as written.
 */
export function fillPlaceholders(
  text: string,
  known: (key: string) => boolean,
  value: (key: string) => string | null,
): string {
  return text.replace(PLACEHOLDER, (match, key: string, fallback: string | undefined) =>
    known(key.trim()) ? (value(key.trim()) ?? fallback?.trim() ?? '') : match,
  );
}

/** A value as placeholders show it: strings, numbers and booleans; null for anything else or blank. */
export function placeholderText(value: unknown): string | null {
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
    return null;
  }
  const text = String(value);
  return text.trim() === '' ? null : text;
}

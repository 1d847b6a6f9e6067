/** A message's text as keywords compare it: trimmed, spaces collapsed, upper case. */
export const keywordForm = (text: string | null | undefined) =>
  (text ?? '').trim().replace(/\s+/g, ' ').toUpperCase();

/** Whether the whole text is one of the keywords, any case. */
export function isKeyword(text: string | null | undefined, keywords: readonly string[]): boolean {
  const form = keywordForm(text);
  return form !== '' && keywords.some((k) => keywordForm(k) === form);
}

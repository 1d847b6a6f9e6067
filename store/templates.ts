import type { TemplateDoc } from './documents';

export const templateId = (accountId: string, name: string, language: string) =>
  `${accountId}:${name}:${language}`;

/**
 * The template to send among those of one name: the exact language when one is given;
 * otherwise an English one (`en`, `en_US`...) if there is one, else the first.
 */
export function pickTemplate(
  all: readonly TemplateDoc[],
  language?: string | null,
): TemplateDoc | null {
  if (language) return all.find((t) => t.language === language) ?? null;
  return all.find((t) => t.language.startsWith('en')) ?? all[0] ?? null;
}

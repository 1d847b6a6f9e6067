import type { DomainError } from '../lib/errors';
import { NotFoundError, ValidationError } from '../lib/errors';
import type { Store } from '../store';
import type { TemplateDoc } from '../store/documents';
import { pickTemplate } from '../store/templates';

/** A template to send, or why none can be: the API's texts, as the product documentation words them. */
export type TemplateResolution =
  | { template: TemplateDoc }
  | { refusal: 'not_found' | 'not_approved' | 'ambiguous'; message: string };

const named = (t: TemplateDoc) => `${t.name} (${t.language})`;

/**
 * Which of the account's templates a send naming `name` and `language` uses. An exact language
 * wins. A bare language (`en`) with no template of its own takes its one approved regional
 * variant (`en_US`); several approved variants are ambiguous. Without a language: an English
 * one if there is one, else the first (`pickTemplate`).
 */
export async function resolveTemplate(
  store: Store,
  orgId: string,
  accountId: string,
  name: string,
  language?: string | null,
): Promise<TemplateResolution> {
  const all = await store.templates.list(orgId, { accountId, name });
  const exact = pickTemplate(all, language);
  const candidates = exact
    ? [exact]
    : language && !language.includes('_')
      ? all.filter((t) => t.language.startsWith(`${language}_`))
      : [];
  const approved = candidates.filter((t) => t.status === 'APPROVED');
  if (approved.length === 1) return { template: approved[0]! };
  if (approved.length > 1) {
    return {
      refusal: 'ambiguous',
      message:
        `Template language ambiguous: ${name} is approved in ${approved.map((t) => t.language).join(', ')}; ` +
        'name one of them as the language',
    };
  }
  if (candidates.length) {
    return {
      refusal: 'not_approved',
      message: `Template not approved: ${candidates.map((t) => `${named(t)} is ${t.status}`).join(', ')}`,
    };
  }
  return {
    refusal: 'not_found',
    message: `Template '${name}' not found or not approved: the WhatsApp account has none${language ? ` in ${language}` : ''}`,
  };
}

/** The API error for a refusal; `where` names the request field, for requests with several. */
export function templateRefusal(
  r: Extract<TemplateResolution, { refusal: string }>,
  where?: string,
): DomainError {
  const message = where ? `${r.message} (${where})` : r.message;
  switch (r.refusal) {
    case 'not_found':
      return new NotFoundError(message, 'template_not_found');
    case 'not_approved':
      return new ValidationError(message, 'template_not_approved');
    case 'ambiguous':
      return new ValidationError(message, 'template_language_ambiguous');
  }
}

/** The approved template a send uses, or the API error saying why there is none. */
export async function sendableTemplate(
  store: Store,
  orgId: string,
  accountId: string,
  name: string,
  language?: string | null,
  where?: string,
): Promise<TemplateDoc> {
  const r = await resolveTemplate(store, orgId, accountId, name, language);
  if ('refusal' in r) throw templateRefusal(r, where);
  return r.template;
}

import type { Store } from '../store';
import type { TemplateDoc } from '../store/documents';

/** Statuses in which Meta refuses to send a template. */
export const UNSENDABLE_TEMPLATE_STATUSES = new Set(['PAUSED', 'DISABLED', 'REJECTED']);

export const unsendable = (t: TemplateDoc | null): t is TemplateDoc =>
  t !== null && UNSENDABLE_TEMPLATE_STATUSES.has(t.status);

export const pausedBecause = (t: TemplateDoc) =>
  `Template ${t.name} (${t.language}) is ${t.status}`;

/**
 * Why messages with these templates cannot be sent from the account now (the first template
 * Meta paused, disabled or rejected), or null. A template not synced is not a pause.
 */
export async function templatesPaused(
  { store }: { store: Store },
  orgId: string,
  accountId: string,
  wanted: { name: string; language: string }[],
): Promise<string | null> {
  if (!wanted.length) return null;
  const templates = await store.templates.list(orgId, { accountId });
  for (const w of wanted) {
    const t = templates.find((x) => x.name === w.name && x.language === w.language) ?? null;
    if (unsendable(t)) return pausedBecause(t);
  }
  return null;
}

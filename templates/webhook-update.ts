import type { Store } from '../store';
import type { TemplateMatch, TemplatePatch } from '../store/contract/accounts';
import type { TemplateDoc } from '../store/documents';

/** What one of Meta's three template webhooks says changed. */
export interface TemplateChange {
  match: TemplateMatch;
  patch: TemplatePatch;
  /** Meta's reason, for the status webhook (`INCORRECT_CATEGORY`, a pause's description...). */
  reason: string | null;
}

const text = (v: unknown) => (typeof v === 'string' && v ? v : null);
const id = (v: unknown) => (typeof v === 'number' ? String(v) : text(v));

/**
 * Status events that are not a template status: a template flagged for low quality can still
 * be sent, and one reinstated or unpaused is approved again.
 */
const STATUS_OF_EVENT: Record<string, string | null> = {
  FLAGGED: null,
  REINSTATED: 'APPROVED',
  UNPAUSED: 'APPROVED',
};

function statusReason(value: Record<string, unknown>): string | null {
  const info = value.other_info as { title?: unknown; description?: unknown } | undefined;
  const reason = text(value.reason);
  return (
    text(info?.description) ?? text(info?.title) ?? (reason && reason !== 'NONE' ? reason : null)
  );
}

/**
 * The change a template webhook carries (`message_template_status_update`,
 * `template_category_update`, `message_template_quality_update`), in Meta's documented shape;
 * null when the value says nothing Waflow keeps (a category change only announced).
 */
export function templateChange(
  field: string,
  value: Record<string, unknown>,
): TemplateChange | null {
  const match: TemplateMatch = {
    metaId: id(value.message_template_id),
    name: text(value.message_template_name),
    language: text(value.message_template_language),
  };
  let patch: TemplatePatch = {};
  let reason: string | null = null;
  if (field === 'message_template_status_update') {
    const event = text(value.event);
    const status = event && (event in STATUS_OF_EVENT ? STATUS_OF_EVENT[event] : event);
    if (status) patch = { status };
    reason = statusReason(value);
  } else if (field === 'template_category_update') {
    const category = text(value.new_category);
    if (category) patch = { category };
  } else if (field === 'message_template_quality_update') {
    const quality = text(value.new_quality_score);
    if (quality) patch = { quality_score: quality };
  }
  return Object.keys(patch).length ? { match, patch, reason } : null;
}

const named = (m: TemplateMatch) =>
  m.name ? `${m.name} (${m.language ?? 'any language'})` : `with Meta id ${m.metaId ?? 'none'}`;

/**
 * Applies a template webhook to the copies of the template in the WABA's accounts (each
 * account keeps its own). Returns them as they are now; none when Waflow has not synced the
 * template yet, with why.
 */
export async function applyTemplateChange(
  { store }: { store: Store },
  accountIds: string[],
  change: TemplateChange,
): Promise<{ templates: TemplateDoc[]; unmatched: string | null }> {
  const found = await store.templates.matching(accountIds, change.match);
  if (!found.length) {
    return {
      templates: [],
      unmatched: `No synced template ${named(change.match)}; the next template sync brings it`,
    };
  }
  await store.templates.patch(
    found.map((t) => t._id),
    change.patch,
  );
  return { templates: found.map((t) => ({ ...t, ...change.patch })), unmatched: null };
}

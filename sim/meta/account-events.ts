import type { Template, TemplateCategory, TemplateQuality, TemplateStatus } from './types';

/**
 * Meta's account-level webhooks: about a WABA (`entry[].id`), with no phone number id, posted to
 * the same callback URL as messages and signed the same way.
 */
export function accountWebhook(wabaId: string, at: number, field: string, value: object) {
  return {
    object: 'whatsapp_business_account',
    entry: [{ id: wabaId, time: Math.floor(at / 1000), changes: [{ field, value }] }],
  };
}

/** What a control request changes in a template. */
export interface TemplateChangeInput {
  status?: TemplateStatus;
  category?: TemplateCategory;
  quality?: TemplateQuality;
  /** Meta's reason for a status change (`INCORRECT_CATEGORY`, a pause's explanation). */
  reason?: string;
}

/** Meta sends the id as a number; one too long for a JSON number stays a string. */
const metaId = (id: string) => (Number.isSafeInteger(Number(id)) ? Number(id) : id);

const named = (t: Template) => ({
  message_template_id: metaId(t.id),
  message_template_name: t.name,
  message_template_language: t.language,
});

/** The webhooks Meta posts when a template changed from `before` to `after`, in its shapes. */
export function templateWebhooks(
  before: Template,
  after: Template,
  reason: string | undefined,
): { field: string; value: object }[] {
  const out: { field: string; value: object }[] = [];
  if (before.status !== after.status) {
    const paused = after.status === 'PAUSED';
    out.push({
      field: 'message_template_status_update',
      value: {
        event: after.status,
        ...named(after),
        message_template_category: after.category,
        reason: paused ? null : (reason ?? 'NONE'),
        ...(paused
          ? {
              other_info: {
                title: 'FIRST_PAUSE',
                description:
                  reason ??
                  'Your WhatsApp message template has been paused for 3 hours until Oct 5, 2025 at 4:56 PM UTC because it continued to have issues.',
              },
            }
          : {}),
        ...(after.status === 'DISABLED' ? { disable_info: { disable_date: 1_700_000_000 } } : {}),
      },
    });
  }
  if (before.category !== after.category) {
    out.push({
      field: 'template_category_update',
      value: { ...named(after), previous_category: before.category, new_category: after.category },
    });
  }
  const was = before.quality_score?.score ?? 'UNKNOWN';
  const now = after.quality_score?.score ?? 'UNKNOWN';
  if (was !== now) {
    out.push({
      field: 'message_template_quality_update',
      value: { previous_quality_score: was, new_quality_score: now, ...named(after) },
    });
  }
  return out;
}

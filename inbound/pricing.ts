import type { MetaStatus } from '../meta/webhook-payload';
import type { MessageConversation, MessagePricing } from '../store/documents';

const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null);

/** A status's `pricing` as stored; null when it has none (`read`, `failed`). */
export function statusPricing(s: MetaStatus): MessagePricing | null {
  const p = s.pricing;
  if (!p || typeof p !== 'object') return null;
  return {
    billable: typeof p.billable === 'boolean' ? p.billable : null,
    category: text(p.category),
    type: text(p.type),
    pricing_model: text(p.pricing_model),
  };
}

/** A status's `conversation` as stored; null when it has none or no id. */
export function statusConversation(s: MetaStatus): MessageConversation | null {
  const c = s.conversation;
  const id = c && typeof c === 'object' ? text(c.id) : null;
  if (!c || !id) return null;
  const expires = Number(c.expiration_timestamp);
  return {
    id,
    origin_type: text(c.origin?.type),
    expires_at: Number.isFinite(expires) && expires > 0 ? new Date(expires * 1000) : null,
  };
}

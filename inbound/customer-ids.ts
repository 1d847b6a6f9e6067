import { normalizePhone } from '../lib/phone';
import type { CustomerIds } from '../store/contract/contacts';
import type { MetaChangeValue, MetaInboundMessage } from '../meta/webhook-payload';

const phoneOf = (waId: string | undefined) => (waId ? normalizePhone(waId) : null);

/**
 * Who sent each message of a change: its number (`from`, absent for a customer known only by
 * username), its business-scoped user ids, and the profile of its `contacts[]` entry.
 */
export function customersOf(value: MetaChangeValue) {
  const contacts = value.contacts ?? [];
  return (m: MetaInboundMessage): { ids: CustomerIds; name: string | null } => {
    const c = contacts.find(
      (c) =>
        (m.from !== undefined && c.wa_id === m.from) ||
        (m.from_user_id !== undefined && c.user_id === m.from_user_id),
    );
    return {
      ids: {
        phone: phoneOf(m.from),
        userId: m.from_user_id ?? c?.user_id ?? null,
        parentUserId: m.from_parent_user_id ?? c?.parent_user_id ?? null,
        username: c?.profile?.username ?? null,
      },
      name: c?.profile?.name ?? null,
    };
  };
}

/**
 * The ids a system message moves a customer from and to: `user_changed_number` (the new
 * number in `system.wa_id`; the user id changes with it) and `user_changed_user_id` (the
 * new user id, `system.previous_user_id` the old one). Null for any other message.
 */
export function idChangeOf(
  m: MetaInboundMessage,
): { from: Pick<CustomerIds, 'phone' | 'userId'>; to: CustomerIds } | null {
  const s = m.system;
  if (m.type !== 'system' || !s) return null;
  const phone = phoneOf(m.from);
  if (s.type === 'user_changed_number' || s.type === 'customer_changed_number') {
    const to = phoneOf(s.wa_id);
    if (!to) return null;
    return {
      from: { phone, userId: s.previous_user_id ?? null },
      to: { phone: to, userId: s.user_id ?? null, parentUserId: s.parent_user_id ?? null },
    };
  }
  if (s.type === 'user_changed_user_id') {
    const to = s.user_id ?? m.from_user_id;
    if (!to || !s.previous_user_id) return null;
    return {
      from: { phone, userId: s.previous_user_id },
      to: { phone: null, userId: to, parentUserId: s.parent_user_id ?? null },
    };
  }
  return null;
}

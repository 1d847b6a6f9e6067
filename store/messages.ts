import type { NewMessage, StatusTarget } from './contract/messages';
import type { SendClass } from './contract/send-queue';
import type { MessageDoc, MessageStatus } from './documents';

/** Statuses only move forward; `failed` is final. */
export const STATUS_RANK: Record<MessageStatus, number> = {
  queued: 0,
  sent: 1,
  delivered: 2,
  read: 3,
  failed: 4,
};

export function newMessageDoc(message: NewMessage, at: Date): MessageDoc {
  return {
    ...message,
    status_history: [{ status: message.status, at }],
    error: null,
    pricing: null,
    conversation: null,
    created_at: at,
    updated_at: at,
  };
}

/** Campaigns and sequences are bulk, the rest transactional: how a message was first queued. */
export const BULK_ORIGINS: readonly MessageDoc['origin'][] = ['campaign', 'sequence'];

export const sendClassOf = (origin: MessageDoc['origin']): SendClass =>
  BULK_ORIGINS.includes(origin) ? 'bulk' : 'transactional';

/** Statuses of a message Meta accepted: a 131049 `failed` status defers those. */
export const DEFERRABLE_STATUSES: readonly MessageStatus[] = ['sent', 'delivered', 'read'];
/** Template messages count against the messaging limit unless Meta made them free in a window. */
export const FREE_IN_WINDOW = 'free_customer_service';

export const statusTarget = (m: MessageDoc): StatusTarget => ({
  _id: m._id,
  contact_id: m.contact_id,
  phone_number: m.phone_number,
  user_id: m.user_id,
  type: m.type,
  status: m.status,
  wamid: m.wamid,
});

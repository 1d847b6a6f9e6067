import type { NewMessage } from './contract/messages';
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
    created_at: at,
    updated_at: at,
  };
}

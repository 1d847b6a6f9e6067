import type { StatusReason } from '../store/contract/messages';
import type { EventDoc, MessageDoc } from '../store/documents';
import { eventDoc } from '../store/events';

/** `message.sent`, under an id derived from the wamid, as the status webhook's would be. */
export function sentEvent(m: MessageDoc, wamid: string, at: Date): EventDoc {
  return eventDoc(m.org_id, {
    id: `message.sent:${wamid}`,
    type: 'message.sent',
    timestamp: at,
    data: {
      message_id: wamid,
      wamid,
      id: m._id,
      to: m.phone_number,
      user_id: m.user_id ?? null,
      type: m.type,
      status: 'sent',
      contact_id: m.contact_id,
      whatsapp_account_id: m.account_id,
    },
  });
}

/**
 * `message.failed` of a message Meta never accepted: it has no wamid, so `message_id` (what
 * receivers deduplicate by) is Waflow's own id, and `wamid` is null.
 */
export function failedEvent(m: MessageDoc, reason: StatusReason, at: Date): EventDoc {
  return eventDoc(m.org_id, {
    id: `message.failed:${m._id}`,
    type: 'message.failed',
    timestamp: at,
    data: {
      message_id: m._id,
      wamid: null,
      id: m._id,
      to: m.phone_number,
      user_id: m.user_id ?? null,
      type: m.type,
      status: 'failed',
      contact_id: m.contact_id,
      whatsapp_account_id: m.account_id,
      error_code: reason.code,
      error_message: reason.message,
    },
  });
}

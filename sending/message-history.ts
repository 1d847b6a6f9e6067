import { NotFoundError } from '../lib/errors';
import type { Store } from '../store';
import type { MessageDoc } from '../store/documents';

export interface MessageHistoryRequest {
  contact_id: string;
  limit: number;
  /** With `before_id`: where the previous page ended. */
  before_time?: string;
  before_id?: string;
}

/** A contact's messages, newest first, a page at a time. */
export async function messageHistory(
  { store }: { store: Store },
  orgId: string,
  q: MessageHistoryRequest,
): Promise<MessageDoc[]> {
  if (!(await store.contacts.get(orgId, q.contact_id))) {
    throw new NotFoundError(`Contact '${q.contact_id}' not found`);
  }
  return store.messages.history(orgId, q.contact_id, {
    limit: q.limit,
    beforeTime: q.before_time ? new Date(q.before_time) : undefined,
    beforeId: q.before_id,
  });
}

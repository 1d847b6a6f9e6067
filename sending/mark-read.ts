import { assertConnected } from '../accounts/resolve';
import { NotFoundError, ServiceUnavailableError, ValidationError } from '../lib/errors';
import type { MetaClient } from '../meta/client';
import { MetaApiError } from '../meta/errors';
import type { Store } from '../store';
import type { MessageDoc } from '../store/documents';
import { messageByRef } from './reply-targets';

export interface MarkReadDeps {
  store: Store;
  meta: Pick<MetaClient, 'markRead'>;
}

export interface MarkReadRequest {
  /** Shows the customer that an answer is being typed (until it comes, or 25 seconds). */
  typing_indicator?: boolean;
}

/** Meta's refusal of a read receipt, as the API answers it. */
function refusal(err: MetaApiError): Error {
  if (err.kind === 'disconnected') {
    return new ValidationError(`Account disconnected: ${err.metaMessage}`, 'account_disconnected');
  }
  if (err.kind === 'fatal') return new ValidationError(err.message, 'meta_refused');
  return new ServiceUnavailableError(`Meta did not take the read receipt: ${err.message}`);
}

/**
 * Sends Meta's read receipt for a received message (and the typing indicator, if asked), then
 * records it as the message's `read` status. Meta's answer decides: nothing is recorded when
 * it refuses.
 */
export async function sendReadReceipt(
  { store, meta }: MarkReadDeps,
  message: MessageDoc,
  typingIndicator: boolean,
  at = new Date(),
): Promise<void> {
  const account = await store.accounts.get(message.org_id, message.account_id);
  if (!account) throw new NotFoundError(`WhatsApp account '${message.account_id}' not found`);
  assertConnected(account);
  try {
    await meta.markRead(
      {
        graphUrl: account.graph_url,
        accessToken: store.accounts.credentials(account).accessToken,
        phoneNumberId: account.phone_number_id,
      },
      message.wamid!,
      typingIndicator,
    );
  } catch (err) {
    throw err instanceof MetaApiError ? refusal(err) : err;
  }
  await store.messages.applyStatus(message._id, 'read', at);
}

/**
 * `POST /api/messages/:id/read`: a received message of the organization, by Waflow's id or its
 * wamid (404 otherwise; 400 for one it sent). Marking it again sends the receipt again (a
 * typing indicator shows again).
 */
export async function markMessageRead(
  deps: MarkReadDeps,
  orgId: string,
  messageId: string,
  req: MarkReadRequest,
): Promise<MessageDoc> {
  const message = await messageByRef(deps.store, orgId, messageId);
  if (!message) throw new NotFoundError(`Message '${messageId}' not found`);
  if (message.direction !== 'inbound' || !message.wamid) {
    throw new ValidationError(
      `Message '${messageId}' was sent, not received: only received messages are marked read`,
      'not_inbound',
    );
  }
  await sendReadReceipt(deps, message, req.typing_indicator ?? false);
  return (await deps.store.messages.get(orgId, message._id)) ?? message;
}

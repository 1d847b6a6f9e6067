import {
  MediaUnavailableError,
  type MediaResolver,
  type MetaIds,
  type ResolvedContent,
} from '../media/outbound-media';
import { MetaApiError, mediaIdRefused } from '../meta/errors';
import type { MetaClient, SendEndpoint } from '../meta/client';
import { metaMessageBody } from '../meta/messages';
import { toWaId } from '../lib/phone';
import type { StatusReason } from '../store/contract/messages';
import type { AccountDoc, MessageDoc } from '../store/documents';

/** What one send to Meta came to, and so what the lane does next. */
export type Attempt =
  | { kind: 'sent'; wamid: string }
  /** Sending again would fail again. */
  | { kind: 'failed'; reason: StatusReason; mediaRefused?: boolean }
  | { kind: 'disconnected'; reason: StatusReason }
  /** 130429: the number is over its throughput. */
  | { kind: 'throttled'; reason: StatusReason }
  /** 131056: this recipient got too many messages from the number just now. */
  | { kind: 'pair-limited'; reason: StatusReason }
  /** 131049, Meta's per-user cap on marketing messages: sent again no sooner than a day later. */
  | { kind: 'deferred'; reason: StatusReason }
  /** Meta refused for now, or the answer was lost: the retry workflow takes it from here. */
  | { kind: 'retry'; reason: StatusReason; ambiguous: boolean };

/** Meta's per-user cap on marketing messages. */
export const MARKETING_LIMIT = 131049;

export const DISCONNECTED: StatusReason = { code: 190, message: 'Account disconnected' };

/**
 * Sends a message once. Its media ids (Waflow's) become the account's Meta ids on the way
 * (`media`); when Meta refuses one of those (expired, or never the account's), the files are
 * uploaded again and the message sent once more.
 */
export async function attemptSend(
  meta: MetaClient,
  account: AccountDoc,
  accessToken: string,
  message: MessageDoc,
  endpoint: SendEndpoint = 'messages',
  media?: MediaResolver,
): Promise<Attempt> {
  let resolved: ResolvedContent = { content: message.content, metaIds: new Map() };
  const send = async (refused?: MetaIds): Promise<Attempt> => {
    try {
      if (media) resolved = await media.resolve(account, message.type, message.content, refused);
    } catch (err) {
      return mediaAttempt(err);
    }
    return sendOnce(
      meta,
      account,
      accessToken,
      { ...message, content: resolved.content },
      endpoint,
    );
  };
  const first = await send();
  if (first.kind === 'failed' && first.mediaRefused && resolved.metaIds.size) {
    return send(resolved.metaIds);
  }
  return first;
}

/** Preparing the media failed: the file is gone (failed), or its upload to Meta did. */
function mediaAttempt(err: unknown): Attempt {
  if (err instanceof MediaUnavailableError) {
    return { kind: 'failed', reason: { code: 0, message: err.message } };
  }
  const attempt = attemptOf(err);
  // An upload is not the message: retrying it cannot send the message twice.
  return attempt.kind === 'retry' ? { ...attempt, ambiguous: false } : attempt;
}

async function sendOnce(
  meta: MetaClient,
  account: AccountDoc,
  accessToken: string,
  message: MessageDoc,
  endpoint: SendEndpoint,
): Promise<Attempt> {
  try {
    const { wamid } = await meta.sendMessage(
      { graphUrl: account.graph_url, accessToken, phoneNumberId: account.phone_number_id },
      {
        recipient_type: 'individual',
        // A customer known only by their business-scoped user id is addressed by it.
        ...(message.phone_number
          ? { to: toWaId(message.phone_number) }
          : { recipient: message.user_id }),
        ...metaMessageBody(message),
        // Meta echoes it in the status webhooks: an answer lost on the way is found again.
        biz_opaque_callback_data: message._id,
      },
      endpoint,
    );
    return { kind: 'sent', wamid };
  } catch (err) {
    return attemptOf(err);
  }
}

/** What an error from Meta (or on the way to it) means for the message. */
function attemptOf(err: unknown): Attempt {
  if (!(err instanceof MetaApiError)) {
    return { kind: 'retry', reason: { code: 0, message: String(err) }, ambiguous: true };
  }
  const reason = { code: err.code, message: err.message };
  if (err.code === 130429) return { kind: 'throttled', reason };
  if (err.code === 131056) return { kind: 'pair-limited', reason };
  if (err.code === MARKETING_LIMIT) return { kind: 'deferred', reason };
  switch (err.kind) {
    case 'fatal':
      return mediaIdRefused(err)
        ? { kind: 'failed', reason, mediaRefused: true }
        : { kind: 'failed', reason };
    case 'disconnected':
      return { kind: 'disconnected', reason };
    case 'retryable':
      return { kind: 'retry', reason, ambiguous: false };
    case 'ambiguous':
      return { kind: 'retry', reason, ambiguous: true };
  }
}

import { ApplicationFailure } from '@temporalio/common';
import { toWaId } from '../lib/phone';
import { TtlCache } from '../lib/ttl-cache';
import type { AccountDoc } from '../store/documents';
import {
  SendFailure,
  type SendMessageInput,
  type SendMessageResult,
} from '../workflows/definitions';
import type { ActivityDeps } from '.';
import { MetaApiError } from './meta/errors';

/** Meta allows about one message every 6 s to the same user (131056). */
const PAIR_RATE_DELAY_MS = 6_000;
/** Accounts change rarely; a send reads its account from memory for this long. */
const ACCOUNT_CACHE_MS = 5_000;

type Reason = { code: number; message: string };

export function messageActivities({ config, store, meta }: ActivityDeps) {
  const accounts = new TtlCache<string, AccountDoc | null>(ACCOUNT_CACHE_MS);
  async function account(orgId: string, id: string): Promise<AccountDoc | null> {
    const doc = await accounts.getOrLoad(id, () => store.accounts.findById(id));
    return doc?.org_id === orgId ? doc : null;
  }

  async function markFailed(input: SendMessageInput, reason: Reason): Promise<void> {
    await store.messages.applyStatus(input.messageId, 'failed', new Date(), reason);
    await store.events.record(input.orgId, `message.failed:${input.messageId}`, 'message.failed', {
      message_id: null,
      id: input.messageId,
      to: input.phoneNumber,
      type: input.type,
      contact_id: input.contactId,
      whatsapp_account_id: input.accountId,
      error_code: reason.code,
      error_message: reason.message,
    });
  }

  async function reject(input: SendMessageInput, type: string, reason: Reason): Promise<never> {
    await markFailed(input, reason);
    throw ApplicationFailure.nonRetryable(reason.message, type, reason);
  }

  return {
    /** Sends once: a retry finds the wamid of an earlier attempt and does not send again. */
    async deliverMessage(input: SendMessageInput): Promise<SendMessageResult> {
      const { doc } = await store.messages.insert({
        _id: input.messageId,
        org_id: input.orgId,
        account_id: input.accountId,
        contact_id: input.contactId,
        direction: 'outbound',
        phone_number: input.phoneNumber,
        type: input.type,
        content: input.content,
        origin: input.origin,
        origin_id: input.originId,
        request_hash: input.requestHash,
        wamid: null,
        status: 'queued',
      });
      if (doc.wamid) return { messageId: input.messageId, wamid: doc.wamid };

      const sender = await account(input.orgId, input.accountId);
      if (!sender) {
        return reject(input, SendFailure.rejected, {
          code: 0,
          message: 'WhatsApp account not found',
        });
      }
      if (sender.status === 'disconnected') {
        return reject(input, SendFailure.disconnected, {
          code: 190,
          message: 'Account disconnected',
        });
      }
      const { accessToken } = store.accounts.credentials(sender);
      try {
        const { wamid } = await meta.sendMessage(
          { graphUrl: sender.graph_url, accessToken, phoneNumberId: sender.phone_number_id },
          {
            recipient_type: 'individual',
            to: toWaId(input.phoneNumber),
            type: input.type,
            [input.type]: input.content,
            biz_opaque_callback_data: input.messageId,
          },
        );
        await store.messages.recordSent(input.messageId, wamid);
        await store.events.record(input.orgId, `message.sent:${wamid}`, 'message.sent', {
          message_id: wamid,
          to: input.phoneNumber,
          type: input.type,
          status: 'sent',
          contact_id: input.contactId,
          whatsapp_account_id: input.accountId,
        });
        return { messageId: input.messageId, wamid };
      } catch (err) {
        if (!(err instanceof MetaApiError)) throw err;
        const reason = { code: err.code, message: err.message };
        switch (err.kind) {
          case 'fatal':
            return reject(input, SendFailure.rejected, reason);
          case 'disconnected':
            await store.accounts.markDisconnected(sender._id, err.message);
            accounts.deleteWhere((a) => a?._id === sender._id);
            return reject(input, SendFailure.disconnected, {
              code: 190,
              message: 'Account disconnected',
            });
          case 'retryable':
            throw ApplicationFailure.create({
              message: err.message,
              type: 'MetaRetryable',
              details: [reason],
              nextRetryDelay: err.code === 131056 ? PAIR_RATE_DELAY_MS : undefined,
            });
          case 'ambiguous':
            throw ApplicationFailure.create({
              message: err.message,
              type: 'MetaNoAnswer',
              details: [reason],
              // Meta's status webhook echoes our id (biz_opaque_callback_data): if the message
              // did go out, the next attempt finds its wamid and does not send again.
              nextRetryDelay: config.meta.noAnswerRecheckMs,
            });
        }
      }
    },

    async markMessageFailed(input: SendMessageInput, reason: Reason): Promise<void> {
      await markFailed(input, reason);
    },
  };
}

export type MessageActivities = ReturnType<typeof messageActivities>;

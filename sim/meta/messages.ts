import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  invalidParameter,
  invalidValue,
  MetaError,
  messagingLimitHit,
  notMarketingTemplate,
  notOnboardedToMarketingMessages,
  pairRateLimitHit,
  RECIPIENT_ERRORS,
  statusError,
  rateLimitHit,
  somethingWentWrong,
  unsupportedRequest,
} from './errors';
import { newWamid } from './ids';
import { checkMediaIds } from './media-upload';
import { entryOf } from './request-log';
import type { SimState } from './state';
import { scheduleStatuses } from './statuses';
import { checkTemplateSend } from './templates';
import { isReadReceipt, validateReadReceipt, validateSend } from './validate';
import type { WebhookDispatcher } from './webhooks';

/** Ends the exchange without an answer: the client sees its connection reset. */
function destroyConnection(req: FastifyRequest, reply: FastifyReply) {
  reply.hijack();
  req.raw.socket.destroy();
}

type Endpoint = 'messages' | 'marketing_messages';

/** Who a send is for, as a failure may name them: the phone's digits, and a BSUID if given. */
function recipientsOf(waId: string, body: unknown): string[] {
  const bsuid = (body as { recipient?: unknown } | null)?.recipient;
  return typeof bsuid === 'string' ? [waId, bsuid] : [waId];
}

const RECEIPT_LIMIT = 10_000;

/**
 * Meta's read receipt: `{messaging_product, status: 'read', message_id, typing_indicator?}`,
 * answered `{success: true}`, for a message the number received only.
 */
function readReceipt(state: SimState, phoneNumberId: string, body: unknown) {
  const { messageId, typingIndicator } = validateReadReceipt(body);
  const known = state.knownMessages.get(messageId);
  if (!known || known.phoneNumberId !== phoneNumberId || known.direction !== 'inbound') {
    throw invalidValue(
      `The parameter message_id names no message this number received: ${messageId}`,
    );
  }
  state.readReceipts.push({
    time: new Date(state.now()).toISOString(),
    phone_number_id: phoneNumberId,
    message_id: messageId,
    recipient: known.waId,
    typing_indicator: typingIndicator,
  });
  if (state.readReceipts.length > RECEIPT_LIMIT) state.readReceipts.shift();
  return { success: true };
}

/**
 * `POST /{version}/{phone-number-id}/messages`, and `/marketing_messages` (MARKETING templates
 * of onboarded numbers only), with Meta's checks, limits and failures.
 */
export function messageRoutes(
  state: SimState,
  dispatcher: WebhookDispatcher,
  mayUse: (req: FastifyRequest, phoneNumberId: string) => boolean,
) {
  const send =
    (endpoint: Endpoint) =>
    async (
      req: FastifyRequest<{ Params: { version: string; phoneNumberId: string } }>,
      reply: FastifyReply,
    ) => {
      const entry = entryOf(req);
      const { phoneNumberId } = req.params;
      if (!mayUse(req, phoneNumberId)) throw unsupportedRequest('POST', phoneNumberId);
      const number = state.number(phoneNumberId);
      if (endpoint === 'marketing_messages' && !number.marketingMessages) {
        throw notOnboardedToMarketingMessages();
      }
      // A read receipt is no message: no throughput, no injected failure, no send log entry.
      if (endpoint === 'messages' && isReadReceipt(req.body)) {
        return readReceipt(state, number.id, req.body);
      }
      const failure = state.nextFailure(number.id);
      if (failure?.kind === 'refuse') {
        if (entry) entry.outcome = 'refused';
        destroyConnection(req, reply);
        return reply;
      }
      if (failure && (failure.kind === undefined || failure.kind === 'error')) {
        throw new MetaError(
          failure.httpStatus,
          failure.code,
          failure.message,
          failure.details ?? null,
        );
      }
      if (Math.random() < state.options.failureRate) throw somethingWentWrong();

      const message = validateSend(req.body);
      checkMediaIds(state, number.wabaId, req.body);
      if (message.userId) {
        const waId = state.userOf(message.userId);
        if (waId === undefined) {
          throw invalidParameter(`recipient: no WhatsApp user has the id ${message.userId}`);
        }
        // A user with a number is that number's user; a username-only one is their BSUID.
        if (waId) message.waId = waId;
      }
      for (const target of message.targets) {
        const known = state.knownMessages.get(target.wamid);
        if (!known || known.phoneNumberId !== number.id) {
          throw invalidValue(`The parameter ${target.path} names no message: ${target.wamid}`);
        }
        if (known.waId !== message.waId) {
          throw invalidValue(
            `The parameter ${target.path} names a message of another chat: ${target.wamid}`,
          );
        }
      }
      const template = message.template
        ? checkTemplateSend(state.templatesOf(number.wabaId), message.template)
        : null;
      if (endpoint === 'marketing_messages' && template?.category !== 'MARKETING') {
        throw template
          ? notMarketingTemplate(template.name, template.category)
          : invalidParameter(
              'Only template messages can be sent through the Marketing Messages API.',
            );
      }
      const inWindow = state.windowOpen(number.id, message.waId);
      if (template && !inWindow && !state.reach(number.wabaId, message.waId)) {
        throw messagingLimitHit();
      }
      const refused = state.admit(number.id, message.waId);
      if (refused === 'throughput') throw rateLimitHit();
      if (refused === 'pair') throw pairRateLimitHit();
      const aimed = state.recipientFailure(number.id, recipientsOf(message.waId, req.body));
      if (aimed && aimed.via !== 'status') {
        throw new MetaError(aimed.httpStatus, aimed.code, aimed.message, aimed.details ?? null);
      }

      const wamid = newWamid(message.waId);
      if (entry) entry.wamid = wamid;
      state.knownMessages.record(wamid, {
        phoneNumberId: number.id,
        waId: message.waId,
        direction: 'outbound',
      });
      const now = state.now();
      state.sendLog.record(
        {
          time: new Date(now).toISOString(),
          phone_number_id: number.id,
          recipient: message.waId,
          wamid,
          biz_opaque_callback_data: message.bizOpaqueCallbackData,
          answered: failure?.kind !== 'drop',
          endpoint,
          type: message.type,
          content: message.content,
          context: message.context,
        },
        now,
      );
      scheduleStatuses(dispatcher, state, {
        wamid,
        number,
        waId: message.waId,
        // Meta names a user it knows by both: their number and their user id.
        userId: message.userId ?? state.userIdOf(message.waId) ?? null,
        category: template ? template.category.toLowerCase() : 'service',
        bizOpaqueCallbackData: message.bizOpaqueCallbackData,
        outsideWindow: !template && !inWindow,
        inWindow,
        failure: aimed
          ? statusError(
              aimed.code,
              RECIPIENT_ERRORS[aimed.code]?.title ?? aimed.message,
              aimed.details ?? null,
            )
          : null,
      });
      if (failure?.kind === 'drop') {
        if (entry) entry.outcome = 'dropped';
        destroyConnection(req, reply);
        return reply;
      }
      if (state.options.answerLatencyMs > 0) await sleep(state.options.answerLatencyMs);
      return {
        messaging_product: 'whatsapp',
        contacts: [
          message.userId
            ? { input: message.to, user_id: message.userId }
            : { input: message.to, wa_id: message.waId },
        ],
        messages: [{ id: wamid, ...(template ? { message_status: 'accepted' } : {}) }],
      };
    };
  return async (app: FastifyInstance) => {
    app.post('/:version/:phoneNumberId/messages', send('messages'));
    app.post('/:version/:phoneNumberId/marketing_messages', send('marketing_messages'));
  };
}

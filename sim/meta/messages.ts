import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  MetaError,
  messagingLimitHit,
  pairRateLimitHit,
  rateLimitHit,
  somethingWentWrong,
  unsupportedRequest,
} from './errors';
import { newWamid } from './ids';
import { entryOf } from './request-log';
import type { SimState } from './state';
import { scheduleStatuses } from './statuses';
import { checkTemplateSend } from './templates';
import { validateSend } from './validate';
import type { WebhookDispatcher } from './webhooks';

/** Ends the exchange without an answer: the client sees its connection reset. */
function destroyConnection(req: FastifyRequest, reply: FastifyReply) {
  reply.hijack();
  req.raw.socket.destroy();
}

/** `POST /{version}/{phone-number-id}/messages`, with Meta's checks, limits and failures. */
export function messageRoutes(
  state: SimState,
  dispatcher: WebhookDispatcher,
  mayUse: (req: FastifyRequest, phoneNumberId: string) => boolean,
) {
  return async (app: FastifyInstance) => {
    app.post<{ Params: { version: string; phoneNumberId: string } }>(
      '/:version/:phoneNumberId/messages',
      async (req, reply) => {
        const entry = entryOf(req);
        const { phoneNumberId } = req.params;
        if (!mayUse(req, phoneNumberId)) throw unsupportedRequest('POST', phoneNumberId);
        const number = state.number(phoneNumberId);
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
        const template = message.template
          ? checkTemplateSend(state.templatesOf(number.wabaId), message.template)
          : null;
        const inWindow = state.windowOpen(number.id, message.waId);
        if (template && !inWindow && !state.reach(number.wabaId, message.waId)) {
          throw messagingLimitHit();
        }
        const refused = state.admit(number.id, message.waId);
        if (refused === 'throughput') throw rateLimitHit();
        if (refused === 'pair') throw pairRateLimitHit();

        const wamid = newWamid(message.waId);
        if (entry) entry.wamid = wamid;
        const now = state.now();
        state.sendLog.record(
          {
            time: new Date(now).toISOString(),
            phone_number_id: number.id,
            recipient: message.waId,
            wamid,
            biz_opaque_callback_data: message.bizOpaqueCallbackData,
            answered: failure?.kind !== 'drop',
          },
          now,
        );
        scheduleStatuses(dispatcher, state, {
          wamid,
          number,
          waId: message.waId,
          category: template ? template.category.toLowerCase() : 'service',
          bizOpaqueCallbackData: message.bizOpaqueCallbackData,
          outsideWindow: !template && !inWindow,
          inWindow,
        });
        if (failure?.kind === 'drop') {
          if (entry) entry.outcome = 'dropped';
          destroyConnection(req, reply);
          return reply;
        }
        if (state.options.answerLatencyMs > 0) await sleep(state.options.answerLatencyMs);
        return {
          messaging_product: 'whatsapp',
          contacts: [{ input: message.to, wa_id: message.waId }],
          messages: [{ id: wamid, ...(template ? { message_status: 'accepted' } : {}) }],
        };
      },
    );
  };
}

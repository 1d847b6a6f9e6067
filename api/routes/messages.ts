import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { mediaUrls, withFreshMediaUrl } from '../../media/signed-url';
import { markMessageRead } from '../../sending/mark-read';
import { messageHistory } from '../../sending/message-history';
import { failedSendError } from '../../sending/send-errors';
import { sendMessage } from '../../sending/send-message';
import type { MessageDoc } from '../../store/documents';
import {
  envelope,
  ErrorSchema,
  IdempotencyKeyHeaders,
  NextCursor,
  ok,
  protectedErrors,
} from '../schemas/common';
import {
  conversationView,
  MarkReadBody,
  MarkReadResult,
  MessageHistoryQuery,
  MessageView,
  SendMessageBody,
  SendMessageResult,
} from '../schemas/messages';
import { nextCursor } from '../time-cursor';
import { orgOf } from '../types';

type MediaUrl = (orgId: string, messageId: string) => string;

function messageView(m: MessageDoc, mediaUrl: MediaUrl) {
  const deferred = m.status === 'queued' ? (m.deferred ?? null) : null;
  return {
    id: m._id,
    message_id: m.wamid,
    direction: m.direction,
    contact_id: m.contact_id,
    whatsapp_account_id: m.account_id,
    phone_number: m.phone_number,
    user_id: m.user_id ?? null,
    type: m.type,
    content:
      m.direction === 'inbound'
        ? withFreshMediaUrl(m.content, () => mediaUrl(m.org_id, m._id))
        : m.content,
    context: m.context ?? null,
    origin: m.origin,
    status: deferred ? ('deferred' as const) : m.status,
    deferred_until: deferred?.until.toISOString() ?? null,
    status_history: m.status_history.map((h) => ({
      status: h.status,
      at: h.at.toISOString(),
      ...(h.error ? { error: h.error } : {}),
    })),
    error: m.error ?? deferred?.reason ?? null,
    pricing: m.pricing ?? null,
    conversation: conversationView(m.conversation ?? null),
    created_at: m.created_at.toISOString(),
  };
}

/** The language a template message goes in (the account's variant of a bare `en`); null for others. */
function languageUsed(m: MessageDoc): string | null {
  const language = m.type === 'template' ? m.content.language : null;
  return (language as { code?: string } | null)?.code ?? null;
}

/** Sent, failed (an error naming Meta's reason), or still queued (202). */
function answer(reply: FastifyReply, m: MessageDoc) {
  const language_used = languageUsed(m);
  if (m.wamid)
    return ok({ message_id: m.wamid, id: m._id, status: 'sent' as const, language_used });
  if (m.status === 'failed') throw failedSendError(m);
  return reply
    .code(202)
    .send(ok({ message_id: null, id: m._id, status: 'queued' as const, language_used }));
}

/** `now`: the clock media URLs are signed by (tests). */
export const messageRoutes: FastifyPluginAsyncZod<{ now?: () => number }> = async (app, opts) => {
  const { store, sendOutcomes } = app;
  const mediaUrl = mediaUrls(app.config, opts.now);

  app.post(
    '/api/messages/send',
    {
      schema: {
        tags: ['messages'],
        summary: 'Send a WhatsApp message (text, template, media or interactive)',
        headers: IdempotencyKeyHeaders,
        body: SendMessageBody,
        response: {
          200: envelope(SendMessageResult),
          202: envelope(SendMessageResult),
          400: ErrorSchema,
          404: ErrorSchema,
          409: ErrorSchema,
          503: ErrorSchema,
          ...protectedErrors,
        },
      },
    },
    async (request, reply) => {
      const message = await sendMessage(
        {
          store,
          signals: app.database.signals,
          outcomes: sendOutcomes,
          waitMs: app.config.send.waitMs,
          log: request.log,
        },
        orgOf(request.principal),
        request.body,
        request.headers['idempotency-key'],
      );
      return answer(reply, message);
    },
  );

  app.post(
    '/api/messages/:id/read',
    {
      schema: {
        tags: ['messages'],
        summary: 'Mark a received message read (blue ticks), optionally with a typing indicator',
        params: z.object({ id: z.string().min(1).max(200).describe("Waflow's id, or the wamid") }),
        body: MarkReadBody.nullish().describe('Optional'),
        response: {
          200: envelope(MarkReadResult),
          400: ErrorSchema,
          404: ErrorSchema,
          503: ErrorSchema,
          ...protectedErrors,
        },
      },
    },
    async (request) => {
      const typing = request.body?.typing_indicator ?? false;
      const m = await markMessageRead(
        { store, meta: app.meta },
        orgOf(request.principal),
        request.params.id,
        { typing_indicator: typing },
      );
      return ok({
        id: m._id,
        message_id: m.wamid!,
        status: 'read' as const,
        typing_indicator: typing,
      });
    },
  );

  app.get(
    '/api/messages',
    {
      schema: {
        tags: ['messages'],
        summary: "A contact's message history, newest first",
        querystring: MessageHistoryQuery,
        response: {
          200: envelope(
            z.object({
              messages: z.array(MessageView),
              next_cursor: NextCursor,
            }),
          ),
          400: ErrorSchema,
          404: ErrorSchema,
          ...protectedErrors,
        },
      },
    },
    async (request) => {
      const q = request.query;
      const docs = await messageHistory({ store }, orgOf(request.principal), q);
      return ok({
        messages: docs.map((m) => messageView(m, mediaUrl)),
        next_cursor: nextCursor(docs, q.limit),
      });
    },
  );
};

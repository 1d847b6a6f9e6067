import { nextCursor } from '../time-cursor';
import { randomUUID } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { sha256Hex } from '../../lib/crypto';
import { idFrom } from '../../lib/ids';
import { ConflictError, NotFoundError, ValidationError } from '../../lib/errors';
import { requirePhone } from '../../lib/phone';
import { toMetaContent } from '../../meta/messages';
import { parameterMismatch } from '../../meta/template-parameters';
import { windowOpen } from '../../meta/window';
import type { MessageDoc } from '../../store/documents';
import { flushOutbox } from '../../contacts/outbox';
import { envelope, ErrorSchema, NextCursor, ok, protectedErrors } from '../schemas/common';
import {
  MessageHistoryQuery,
  MessageView,
  SendMessageBody,
  SendMessageResult,
} from '../schemas/messages';
import { orgOf } from '../types';

/** A stable message id per organization and Idempotency-Key. */
const idFromKey = (orgId: string, key: string) => idFrom(`${orgId}:${key}`);

function messageView(m: MessageDoc) {
  return {
    id: m._id,
    message_id: m.wamid,
    direction: m.direction,
    contact_id: m.contact_id,
    whatsapp_account_id: m.account_id,
    phone_number: m.phone_number,
    type: m.type,
    content: m.content,
    origin: m.origin,
    status: m.status,
    status_history: m.status_history.map((h) => ({
      status: h.status,
      at: h.at.toISOString(),
      ...(h.error ? { error: h.error } : {}),
    })),
    error: m.error,
    created_at: m.created_at.toISOString(),
  };
}

/** Sent, failed (an error naming Meta's reason), or still queued (202). */
function answer(reply: FastifyReply, m: MessageDoc) {
  if (m.wamid) return ok({ message_id: m.wamid, id: m._id, status: 'sent' as const });
  if (m.status === 'failed') throw new ValidationError(m.error?.message ?? 'Message failed');
  return reply.code(202).send(ok({ message_id: null, id: m._id, status: 'queued' as const }));
}

export const messageRoutes: FastifyPluginAsyncZod = async (app) => {
  const { store, sendOutcomes } = app;

  app.post(
    '/api/messages/send',
    {
      schema: {
        tags: ['messages'],
        summary: 'Send a WhatsApp message (text, template, media or interactive)',
        headers: z.object({
          'idempotency-key': z
            .string()
            .min(1)
            .max(255)
            .optional()
            .describe('Repeating a request with the same key returns the first result'),
        }),
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
      const body = request.body;
      const orgId = orgOf(request.principal);
      const phone = requirePhone(body.to, 'to');

      const account = await store.accounts.resolve(orgId, body.whatsapp_account ?? null);
      if (!account) {
        if (body.whatsapp_account) {
          throw new NotFoundError(`WhatsApp account '${body.whatsapp_account}' not found`);
        }
        throw new ValidationError('No WhatsApp account: add one with POST /api/accounts');
      }
      if (account.status === 'disconnected') throw new ValidationError('Account disconnected');

      let contact = await store.contacts.findByPhone(orgId, phone);
      const { type, content } = toMetaContent(body);
      if (body.type === 'template') {
        const { name, language, components } = body.template;
        const code = typeof language === 'string' ? language : language?.code;
        const template = await store.templates.find(orgId, account._id, name, code);
        if (!template || template.status !== 'APPROVED') {
          throw new NotFoundError(`Template '${name}' not found or not approved`);
        }
        const mismatch = parameterMismatch(template, components);
        if (mismatch) throw new ValidationError(mismatch);
        content.language = { code: template.language };
      } else if (!contact || !windowOpen(contact.last_inbound_at)) {
        throw new ValidationError('Outside 24-hour window. Use a template message.');
      }
      if (!contact) {
        contact = await store.contacts.ensure(orgId, phone, 'api');
        await flushOutbox(app.store, request.log, 'contacts', contact._id);
      }

      const key = request.headers['idempotency-key'];
      const messageId = key ? idFromKey(orgId, key) : randomUUID();
      const requestHash = key ? sha256Hex(JSON.stringify(body)) : null;
      const [queued] = await store.sendQueue.enqueue(
        [
          {
            _id: messageId,
            org_id: orgId,
            account_id: account._id,
            contact_id: contact._id,
            direction: 'outbound',
            phone_number: phone,
            type,
            content,
            origin: 'api',
            origin_id: null,
            request_hash: requestHash,
            wamid: null,
            status: 'queued',
          },
        ],
        'transactional',
      );
      const { doc, created } = queued!;
      if (!created && (doc.org_id !== orgId || doc.request_hash !== requestHash)) {
        throw new ConflictError(
          `Idempotency-Key '${key}' was already used for a different request`,
        );
      }
      if (created) {
        await app.database.signals
          .publish('send_queued', account._id)
          .catch((err: unknown) => request.log.warn({ err }, 'dispatchers not signalled'));
      }
      const outcome =
        doc.wamid || doc.status === 'failed'
          ? doc
          : await sendOutcomes.wait(orgId, messageId, app.config.send.waitMs);
      return answer(reply, outcome ?? doc);
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
      const orgId = orgOf(request.principal);
      const q = request.query;
      if (!(await store.contacts.get(orgId, q.contact_id))) {
        throw new NotFoundError(`Contact '${q.contact_id}' not found`);
      }
      const docs = await store.messages.history(orgId, q.contact_id, {
        limit: q.limit,
        beforeTime: q.before_time ? new Date(q.before_time) : undefined,
        beforeId: q.before_id,
      });
      return ok({
        messages: docs.map(messageView),
        next_cursor: nextCursor(docs, q.limit),
      });
    },
  );
};

import { beforeOf, nextCursor } from '../time-cursor';
import { randomUUID } from 'node:crypto';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { sha256Hex } from '../../lib/crypto';
import { ConflictError, DomainError, NotFoundError, ValidationError } from '../../lib/errors';
import { idFrom } from '../../lib/ids';
import { requirePhone } from '../../lib/phone';
import { defaultGateway, gatewaySupports, SUPPORTED_CURRENCIES } from '../../payments/currencies';
import type { ContactDoc, PaymentLinkDoc } from '../../store/documents';
import {
  type PaymentLinkInput,
  cancelPaymentLinkUpdate,
  paymentLinkWorkflowId,
} from '../../workflows/contracts/payment-link';
import { flushOutbox } from '../../contacts/outbox';
import { envelope, ErrorSchema, IdParams, ok, protectedErrors } from '../schemas/common';
import {
  CreatePaymentLinkBody,
  ListPaymentLinksQuery,
  PaymentLinkList,
  paymentLinkView,
  PaymentLinkView,
} from '../schemas/payment-links';
import { orgOf } from '../types';

const MINUTE = 60_000;
/** How long a cancel waits for the workflow to take it. */
const UPDATE_DEADLINE_MS = 10_000;
const RETRY_AFTER_SECONDS = 5;
const NAMES = { stripe: 'Stripe', razorpay: 'Razorpay' } as const;

export const paymentLinkRoutes: FastifyPluginAsyncZod = async (app) => {
  const { store } = app;

  const find = async (orgId: string, id: string) => {
    const doc = await store.paymentLinks.get(orgId, id);
    if (!doc) throw new NotFoundError(`Payment link '${id}' not found`);
    return doc;
  };

  async function startWorkflow(link: PaymentLinkDoc) {
    try {
      await app.temporal.workflow.start('paymentLinkWorkflow', {
        workflowId: paymentLinkWorkflowId(link._id),
        taskQueue: app.config.temporal.taskQueue,
        // One workflow per link, ever: a replayed create must not run it again.
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        args: [{ linkId: link._id, orgId: link.org_id } satisfies PaymentLinkInput],
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  }

  app.post(
    '/api/payment-links',
    {
      schema: {
        tags: ['payment-links'],
        summary: 'Create a payment link and send it to the contact on WhatsApp',
        description:
          "The amount is in the currency's minor unit (paise, cents). The link is created at the " +
          'gateway and sent right after this answers: `url` is null until then. Repeating a ' +
          'request with the same Idempotency-Key returns the first link.',
        headers: z.object({
          'idempotency-key': z
            .string()
            .min(1)
            .max(255)
            .optional()
            .describe('Repeating a request with the same key returns the first result'),
        }),
        body: CreatePaymentLinkBody,
        response: {
          201: envelope(PaymentLinkView),
          400: ErrorSchema,
          404: ErrorSchema,
          409: ErrorSchema,
          ...protectedErrors,
        },
      },
    },
    async (request, reply) => {
      const orgId = orgOf(request.principal);
      const body = request.body;
      if (!SUPPORTED_CURRENCIES.includes(body.currency)) {
        throw new ValidationError(
          `currency: '${body.currency}' is not supported; use one of ${SUPPORTED_CURRENCIES.join(', ')}`,
        );
      }
      const gateway = body.gateway ?? defaultGateway(body.currency);
      if (!gatewaySupports(gateway, body.currency)) {
        throw new ValidationError(`currency: ${NAMES[gateway]} does not take ${body.currency}`);
      }
      const expiresInMs = body.expires_in_minutes * MINUTE;
      const remindAfterMs =
        body.reminder_after_minutes === null
          ? null
          : body.reminder_after_minutes === undefined
            ? Math.round(expiresInMs / 2)
            : body.reminder_after_minutes * MINUTE;
      if (remindAfterMs !== null && remindAfterMs >= expiresInMs) {
        throw new ValidationError('reminder_after_minutes: must be before the link expires');
      }
      if (!(await store.gatewaySettings.get(orgId, gateway))) {
        throw new ValidationError(
          `gateway: ${NAMES[gateway]} is not configured (PUT /api/integrations/${gateway})`,
        );
      }
      const account = await store.accounts.resolve(orgId, body.whatsapp_account ?? null);
      if (!account) {
        if (body.whatsapp_account) {
          throw new NotFoundError(`WhatsApp account '${body.whatsapp_account}' not found`);
        }
        throw new ValidationError('No WhatsApp account: add one with POST /api/accounts');
      }

      let contact: ContactDoc | null;
      if (body.contact_id !== undefined) {
        contact = await store.contacts.get(orgId, body.contact_id);
        if (!contact) throw new NotFoundError(`Contact '${body.contact_id}' not found`);
      } else {
        const phone = requirePhone(body.phone_number!, 'phone_number');
        contact = await store.contacts.findByPhone(orgId, phone);
        if (!contact) {
          contact = await store.contacts.ensure(orgId, phone, 'api');
          await flushOutbox(app.store, request.log, 'contacts', contact._id);
        }
      }

      const key = request.headers['idempotency-key'];
      const requestHash = key ? sha256Hex(JSON.stringify(body)) : null;
      const now = new Date();
      const { doc, created } = await store.paymentLinks.create(
        {
          _id: key ? idFrom(`payment-link:${orgId}:${key}`) : randomUUID(),
          org_id: orgId,
          contact_id: contact._id,
          phone_number: contact.phone_number,
          account_id: account._id,
          amount: body.amount,
          currency: body.currency,
          description: body.description,
          gateway,
          reference_id: body.reference_id ?? null,
          expires_at: new Date(now.getTime() + expiresInMs),
          remind_at: remindAfterMs === null ? null : new Date(now.getTime() + remindAfterMs),
          request_hash: requestHash,
        },
        now,
      );
      if (!created && (doc.org_id !== orgId || doc.request_hash !== requestHash)) {
        throw new ConflictError(
          `Idempotency-Key '${key}' was already used for a different request`,
        );
      }
      try {
        await startWorkflow(doc);
      } catch (err) {
        if (created) {
          const reason = `The payment link could not be started: ${(err as Error).message}`;
          await store.paymentLinks
            .transition(doc._id, ['created'], 'failed', new Date(), reason, { error: reason })
            .catch((e: unknown) => request.log.error({ err: e }, 'payment link not marked failed'));
        }
        throw err;
      }
      return reply.code(201).send(ok(paymentLinkView(doc)));
    },
  );

  app.get(
    '/api/payment-links',
    {
      schema: {
        tags: ['payment-links'],
        summary: 'Payment links, newest first, by status or contact',
        querystring: ListPaymentLinksQuery,
        response: { 200: envelope(PaymentLinkList), 400: ErrorSchema, ...protectedErrors },
      },
    },
    async (request) => {
      const q = request.query;
      if ((q.before_time === undefined) !== (q.before_id === undefined)) {
        throw new ValidationError('before_time and before_id go together');
      }
      const docs = await store.paymentLinks.list(orgOf(request.principal), {
        limit: q.limit,
        status: q.status,
        contactId: q.contact_id,
        before: beforeOf(q),
      });
      return ok({
        payment_links: docs.map(paymentLinkView),
        next_cursor: nextCursor(docs, q.limit),
      });
    },
  );

  app.get(
    '/api/payment-links/:id',
    {
      schema: {
        tags: ['payment-links'],
        summary: 'A payment link: its status and history, gateway ids, URL, reminders, payment',
        params: IdParams,
        response: { 200: envelope(PaymentLinkView), 404: ErrorSchema, ...protectedErrors },
      },
    },
    async (request) => ok(paymentLinkView(await find(orgOf(request.principal), request.params.id))),
  );

  app.post(
    '/api/payment-links/:id/cancel',
    {
      schema: {
        tags: ['payment-links'],
        summary: 'Cancel an unpaid link: deactivated at the gateway, payment_link.expired',
        params: IdParams,
        response: {
          200: envelope(PaymentLinkView),
          404: ErrorSchema,
          409: ErrorSchema,
          503: ErrorSchema,
          ...protectedErrors,
        },
      },
    },
    async (request) => {
      const orgId = orgOf(request.principal);
      const link = await find(orgId, request.params.id);
      const handle = app.temporal.workflow.getHandle(paymentLinkWorkflowId(link._id));
      try {
        await app.temporal.withDeadline(Date.now() + UPDATE_DEADLINE_MS, () =>
          handle.executeUpdate(cancelPaymentLinkUpdate),
        );
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError) {
          throw new ConflictError(err.cause?.message ?? 'Payment link cannot be cancelled');
        }
        if (err instanceof WorkflowNotFoundError) {
          const now = await find(orgId, link._id);
          throw new ConflictError(`A ${now.status} payment link cannot be cancelled`);
        }
        if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
          throw new DomainError(
            `The payment link did not answer in time; the cancel may still take effect. ` +
              `Check its status, or try again in ${RETRY_AFTER_SECONDS} seconds.`,
            503,
            { 'retry-after': String(RETRY_AFTER_SECONDS) },
          );
        }
        throw err;
      }
      return ok(paymentLinkView(await find(orgId, link._id)));
    },
  );
};

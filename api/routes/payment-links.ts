import { beforeOf, nextCursor } from '../time-cursor';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ValidationError } from '../../lib/errors';
import { cancelPaymentLink } from '../../payments/cancel-link';
import { createPaymentLink } from '../../payments/create-link';
import { listPaymentLinks, paymentLinkOf } from '../../payments/find-links';
import {
  envelope,
  ErrorSchema,
  IdempotencyKeyHeaders,
  IdParams,
  ok,
  protectedErrors,
} from '../schemas/common';
import {
  CreatePaymentLinkBody,
  ListPaymentLinksQuery,
  PaymentLinkList,
  paymentLinkView,
  PaymentLinkView,
} from '../schemas/payment-links';
import { orgOf } from '../types';

export const paymentLinkRoutes: FastifyPluginAsyncZod = async (app) => {
  const { store } = app;

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
        headers: IdempotencyKeyHeaders,
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
      const link = await createPaymentLink(
        { store, temporal: app.temporal, config: app.config, log: request.log },
        orgOf(request.principal),
        request.body,
        request.headers['idempotency-key'],
      );
      return reply.code(201).send(ok(paymentLinkView(link)));
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
      const docs = await listPaymentLinks(store, orgOf(request.principal), {
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
    async (request) =>
      ok(paymentLinkView(await paymentLinkOf(store, orgOf(request.principal), request.params.id))),
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
      const link = await cancelPaymentLink(
        { store, temporal: app.temporal },
        orgOf(request.principal),
        request.params.id,
      );
      return ok(paymentLinkView(link));
    },
  );
};

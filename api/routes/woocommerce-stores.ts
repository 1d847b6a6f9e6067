import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { WooStoreDoc } from '../../store/contract/woocommerce';
import { getWooOrder, listWooOrders, type WooOrderWithMessages } from '../../woocommerce/orders';
import {
  createWooStore,
  deleteWooStore,
  getWooStore,
  listWooStores,
  updateWooStore,
} from '../../woocommerce/stores';
import { envelope, ErrorSchema, IdParams, ok, protectedErrors } from '../schemas/common';
import {
  CreateWooStoreBody,
  UpdateWooStoreBody,
  WooOrderList,
  WooOrderParams,
  WooOrdersQuery,
  WooOrderView,
  wooOrderView,
  WooStoreView,
  wooStoreView,
} from '../schemas/woocommerce';
import { orgOf } from '../types';

const tags = ['woocommerce'];
const BASE = '/api/integrations/woocommerce/stores';

const orderView = (o: WooOrderWithMessages) => wooOrderView(o.doc, o.messages);

export const wooStoreRoutes: FastifyPluginAsyncZod = async (app) => {
  const { store } = app;
  const view = (doc: WooStoreDoc, secret?: string) =>
    wooStoreView(doc, app.config.http.publicUrl, secret);
  const deps = { store, cached: { delete: app.woo.forget } };

  app.post(
    BASE,
    {
      schema: {
        tags,
        summary: 'Connect a WooCommerce store: its delivery URL and webhook secret come back',
        body: CreateWooStoreBody,
        response: {
          201: envelope(WooStoreView),
          400: ErrorSchema,
          404: ErrorSchema,
          ...protectedErrors,
        },
      },
    },
    async (request, reply) => {
      const { doc, secret } = await createWooStore(deps, orgOf(request.principal), request.body);
      return reply.code(201).send(ok(view(doc, secret)));
    },
  );

  app.get(
    BASE,
    {
      schema: {
        tags,
        summary: "The organization's WooCommerce stores, oldest first (without secrets)",
        response: { 200: envelope(z.array(WooStoreView)), ...protectedErrors },
      },
    },
    async (request) =>
      ok((await listWooStores(deps, orgOf(request.principal))).map((d) => view(d))),
  );

  app.get(
    `${BASE}/:id`,
    {
      schema: {
        tags,
        summary: 'A WooCommerce store, with its webhook secret',
        params: IdParams,
        response: { 200: envelope(WooStoreView), 404: ErrorSchema, ...protectedErrors },
      },
    },
    async (request) => {
      const { doc, secret } = await getWooStore(deps, orgOf(request.principal), request.params.id);
      return ok(view(doc, secret));
    },
  );

  app.patch(
    `${BASE}/:id`,
    {
      schema: {
        tags,
        summary: "Change a store's name, URL, secret, account, templates, reminder, opt-in or cap",
        params: IdParams,
        body: UpdateWooStoreBody,
        response: {
          200: envelope(WooStoreView),
          400: ErrorSchema,
          404: ErrorSchema,
          ...protectedErrors,
        },
      },
    },
    async (request) => {
      const { doc, secret } = await updateWooStore(
        deps,
        orgOf(request.principal),
        request.params.id,
        request.body,
      );
      return ok(view(doc, secret));
    },
  );

  app.delete(
    `${BASE}/:id`,
    {
      schema: {
        tags,
        summary: 'Disconnect a store: its webhooks are refused from now on',
        params: IdParams,
        response: { 204: z.null(), 404: ErrorSchema, ...protectedErrors },
      },
    },
    async (request, reply) => {
      await deleteWooStore(deps, orgOf(request.principal), request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.get(
    `${BASE}/:id/orders`,
    {
      schema: {
        tags,
        summary: "The store's orders, most recently updated first: statuses, messages, skips",
        params: IdParams,
        querystring: WooOrdersQuery,
        response: {
          200: envelope(WooOrderList),
          400: ErrorSchema,
          404: ErrorSchema,
          ...protectedErrors,
        },
      },
    },
    async (request) => {
      const q = request.query;
      const orders = await listWooOrders(deps, orgOf(request.principal), request.params.id, q);
      const last = orders.length === q.limit ? orders[orders.length - 1]!.doc : undefined;
      return ok({
        orders: orders.map(orderView),
        next_cursor: last
          ? { before_time: last.updated_at.toISOString(), before_id: last._id }
          : null,
      });
    },
  );

  app.get(
    `${BASE}/:id/orders/:orderId`,
    {
      schema: {
        tags,
        summary: 'One order: the statuses seen, the messages sent, what was skipped and why',
        params: WooOrderParams,
        response: { 200: envelope(WooOrderView), 404: ErrorSchema, ...protectedErrors },
      },
    },
    async (request) => {
      const { id, orderId } = request.params;
      return ok(orderView(await getWooOrder(deps, orgOf(request.principal), id, orderId)));
    },
  );
};

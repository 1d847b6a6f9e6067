import type { FastifyInstance } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { NotFoundError, ValidationError } from '../../lib/errors';
import type { MessageDoc } from '../../store/documents';
import type { WooOrderDoc, WooStoreDoc, WooStoreSettings } from '../../store/contract/woocommerce';
import {
  defaultWooSettings,
  mergeWooSettings,
  settingsActions,
  settingsProblems,
} from '../../woocommerce/settings';
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
  type WooStoreBody,
} from '../schemas/woocommerce';
import { orgOf } from '../types';

const tags = ['woocommerce'];
const BASE = '/api/integrations/woocommerce/stores';

async function storeOf(app: FastifyInstance, orgId: string, id: string): Promise<WooStoreDoc> {
  const doc = await app.store.wooStores.get(orgId, id);
  if (!doc) throw new NotFoundError(`WooCommerce store '${id}' not found`);
  return doc;
}

/** The settings the body makes of `current`; refuses unknown placeholders and accounts. */
async function settingsFrom(
  app: FastifyInstance,
  orgId: string,
  current: WooStoreSettings,
  body: WooStoreBody,
): Promise<{ settings: WooStoreSettings; accountId: string | null | undefined }> {
  const settings = mergeWooSettings(current, body);
  const [problem] = settingsProblems(settings);
  if (problem) throw new ValidationError(problem);
  for (const actionId of settingsActions(settings)) {
    if (!(await app.store.actions.get(orgId, actionId))) {
      throw new NotFoundError(`Action '${actionId}' not found`);
    }
  }
  if (body.whatsapp_account && !(await app.store.accounts.get(orgId, body.whatsapp_account))) {
    throw new NotFoundError(`WhatsApp account '${body.whatsapp_account}' not found`);
  }
  return { settings, accountId: body.whatsapp_account };
}

async function orderView(app: FastifyInstance, doc: WooOrderDoc) {
  const ids = doc.events.flatMap((e) => (e.message_id ? [e.message_id] : []));
  const messages = new Map<string, MessageDoc | null>();
  for (const id of ids) messages.set(id, await app.store.messages.get(doc.org_id, id));
  return wooOrderView(doc, messages);
}

export const wooStoreRoutes: FastifyPluginAsyncZod = async (app) => {
  const { store } = app;
  const view = (doc: WooStoreDoc, secret?: string) =>
    wooStoreView(doc, app.config.http.publicUrl, secret);
  const forget = (id: string) => app.woo.stores.delete(id);

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
      const orgId = orgOf(request.principal);
      const body = request.body;
      const { settings, accountId } = await settingsFrom(app, orgId, defaultWooSettings(), body);
      const { store: doc, secret } = await store.wooStores.create(orgId, {
        name: body.name,
        site_url: body.site_url,
        secret: body.webhook_secret,
        account_id: accountId ?? null,
        settings,
      });
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
      ok((await store.wooStores.list(orgOf(request.principal))).map((d) => view(d))),
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
      const doc = await storeOf(app, orgOf(request.principal), request.params.id);
      return ok(view(doc, store.wooStores.secretOf(doc)));
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
      const orgId = orgOf(request.principal);
      const current = await storeOf(app, orgId, request.params.id);
      const body = request.body;
      const { settings, accountId } = await settingsFrom(app, orgId, current.settings, body);
      const doc = await store.wooStores.update(orgId, current._id, {
        name: body.name,
        site_url: body.site_url,
        secret: body.webhook_secret,
        account_id: accountId,
        settings,
      });
      if (!doc) throw new NotFoundError(`WooCommerce store '${current._id}' not found`);
      forget(doc._id);
      return ok(view(doc, store.wooStores.secretOf(doc)));
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
      if (!(await store.wooStores.delete(orgOf(request.principal), request.params.id))) {
        throw new NotFoundError(`WooCommerce store '${request.params.id}' not found`);
      }
      forget(request.params.id);
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
      const orgId = orgOf(request.principal);
      const shop = await storeOf(app, orgId, request.params.id);
      const q = request.query;
      if ((q.before_time === undefined) !== (q.before_id === undefined)) {
        throw new ValidationError('before_time and before_id go together');
      }
      const docs = await store.wooOrders.list(orgId, shop._id, {
        limit: q.limit,
        before: q.before_time
          ? { updated_at: new Date(q.before_time), id: q.before_id! }
          : undefined,
      });
      const last = docs.length === q.limit ? docs[docs.length - 1] : undefined;
      const orders = [];
      for (const doc of docs) orders.push(await orderView(app, doc));
      return ok({
        orders,
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
      const orgId = orgOf(request.principal);
      const shop = await storeOf(app, orgId, request.params.id);
      const doc = await store.wooOrders.get(orgId, shop._id, request.params.orderId);
      if (!doc) throw new NotFoundError(`Order '${request.params.orderId}' not found`);
      return ok(await orderView(app, doc));
    },
  );
};

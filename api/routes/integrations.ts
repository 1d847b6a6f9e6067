import type { FastifyInstance } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  gatewaySettingsOf,
  maskKey,
  putRazorpayKeys,
  putStripeKeys,
} from '../../payments/gateway-settings';
import { gatewayWebhookUrl } from '../../payments/webhook-urls';
import type { GatewaySettingsDoc } from '../../store/documents';
import { envelope, ErrorSchema, ok, protectedErrors } from '../schemas/common';
import { IntegrationView, RazorpayKeysBody, StripeKeysBody } from '../schemas/integrations';
import { orgOf } from '../types';

function view(app: FastifyInstance, doc: GatewaySettingsDoc) {
  const keys = app.store.gatewaySettings.keysOf(doc);
  return {
    gateway: doc.gateway,
    mode: doc.mode,
    keys: Object.fromEntries(Object.entries(keys).map(([k, v]) => [k, maskKey(v)])),
    webhook_url: gatewayWebhookUrl(app.config.http.publicUrl, doc.gateway, doc.org_id),
    created_at: doc.created_at.toISOString(),
    updated_at: doc.updated_at.toISOString(),
  };
}

/** Payment gateway keys: replaced whole, shown masked, sealed at rest. */
export const integrationRoutes: FastifyPluginAsyncZod = async (app) => {
  const { store } = app;
  const deps = { store, secrets: app.gatewaySecrets, config: app.config, log: app.log };
  const Params = z.object({ gateway: z.enum(['stripe', 'razorpay']) });

  app.put(
    '/api/integrations/stripe',
    {
      schema: {
        tags: ['integrations'],
        summary: 'Set the Stripe keys (secret, publishable, webhook signing secret)',
        body: StripeKeysBody,
        response: { 200: envelope(IntegrationView), 400: ErrorSchema, ...protectedErrors },
      },
    },
    async (request) =>
      ok(view(app, await putStripeKeys(deps, orgOf(request.principal), request.body))),
  );

  app.put(
    '/api/integrations/razorpay',
    {
      schema: {
        tags: ['integrations'],
        summary: 'Set the Razorpay keys (key id, key secret, webhook secret)',
        body: RazorpayKeysBody,
        response: { 200: envelope(IntegrationView), 400: ErrorSchema, ...protectedErrors },
      },
    },
    async (request) =>
      ok(view(app, await putRazorpayKeys(deps, orgOf(request.principal), request.body))),
  );

  app.get(
    '/api/integrations/:gateway',
    {
      schema: {
        tags: ['integrations'],
        summary: "A payment gateway's keys, masked, and whether they are test or live keys",
        params: Params,
        response: { 200: envelope(IntegrationView), 404: ErrorSchema, ...protectedErrors },
      },
    },
    async (request) =>
      ok(
        view(app, await gatewaySettingsOf(store, orgOf(request.principal), request.params.gateway)),
      ),
  );
};

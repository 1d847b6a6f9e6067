import type { FastifyInstance } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { NotFoundError, ValidationError } from '../../lib/errors';
import type { GatewaySettingsDoc, PaymentGateway } from '../../store/documents';
import { envelope, ErrorSchema, ok, protectedErrors } from '../schemas/common';
import { IntegrationView, RazorpayKeysBody, StripeKeysBody } from '../schemas/integrations';
import { orgOf } from '../types';

const NAMES: Record<PaymentGateway, string> = { stripe: 'Stripe', razorpay: 'Razorpay' };

/** `sk_test_…4242`: the prefix up to its last underscore, and the last four characters. */
export function maskKey(value: string): string {
  const prefix = value.slice(0, value.lastIndexOf('_') + 1);
  return `${prefix}…${value.slice(-4)}`;
}

const modeOf = (key: string): 'test' | 'live' => (key.includes('_live_') ? 'live' : 'test');

function view(app: FastifyInstance, doc: GatewaySettingsDoc) {
  const keys = app.store.gatewaySettings.keysOf(doc);
  return {
    gateway: doc.gateway,
    mode: doc.mode,
    keys: Object.fromEntries(Object.entries(keys).map(([k, v]) => [k, maskKey(v)])),
    created_at: doc.created_at.toISOString(),
    updated_at: doc.updated_at.toISOString(),
  };
}

/**
 * In sandbox mode the Razorpay simulator learns the keys too, so it accepts them and signs its
 * webhooks with the secret given here (as Razorpay's dashboard would).
 */
async function registerAtSimulator(app: FastifyInstance, keys: z.infer<typeof RazorpayKeysBody>) {
  if (!app.config.sandbox) return;
  try {
    const res = await fetch(`${app.config.payments.razorpaySimulator.url}/__sim/accounts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(keys),
      signal: AbortSignal.timeout(5_000),
    });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
  } catch (err) {
    app.log.warn({ err }, 'the Razorpay simulator did not take the keys');
  }
}

/** Payment gateway keys: replaced whole, shown masked, sealed at rest. */
export const integrationRoutes: FastifyPluginAsyncZod = async (app) => {
  const { store } = app;
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
    async (request) => {
      const body = request.body;
      const mode = modeOf(body.secret_key);
      if (modeOf(body.publishable_key) !== mode) {
        throw new ValidationError(
          'publishable_key: must be of the same mode (test/live) as secret_key',
        );
      }
      const doc = await store.gatewaySettings.put(orgOf(request.principal), 'stripe', body, mode);
      app.forgetGatewaySecrets('stripe');
      return ok(view(app, doc));
    },
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
    async (request) => {
      const body = request.body;
      const doc = await store.gatewaySettings.put(
        orgOf(request.principal),
        'razorpay',
        body,
        modeOf(body.key_id),
      );
      app.forgetGatewaySecrets('razorpay');
      await registerAtSimulator(app, body);
      return ok(view(app, doc));
    },
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
    async (request) => {
      const { gateway } = request.params;
      const doc = await store.gatewaySettings.get(orgOf(request.principal), gateway);
      if (!doc) throw new NotFoundError(`${NAMES[gateway]} is not configured`);
      return ok(view(app, doc));
    },
  );
};

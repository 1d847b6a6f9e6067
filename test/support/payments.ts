import Stripe from 'stripe';
import type { Env } from '../../lib/config';
import { freePort } from '../../scripts/infra';
import {
  createRazorpaySimulator,
  signRazorpayBody,
  type RazorpaySimulator,
} from '../../sim/razorpay';
import { createMessagingHarness, type MessagingHarness } from './messaging';
import { waitUntil } from './send-queue';

export const STRIPE_KEYS = {
  secret_key: 'sk_test_4eC39HqLyjWDarjtT1zdp7dc',
  publishable_key: 'pk_test_TYooMQauvdEDq54NiTphI7jx',
  webhook_secret: 'whsec_test0secret0for0waflow',
};

export const RAZORPAY_KEYS = {
  key_id: 'rzp_test_1DP5mmOlF5G5ag',
  key_secret: 'thisisasecretkey',
  webhook_secret: 'razorpay-webhook-secret',
};

export interface PaymentsHarness extends MessagingHarness {
  razorpay: RazorpaySimulator;
  stripe: Stripe;
  /**
   * A Stripe webhook signed with the test helper of Stripe's own SDK, to `url` (the
   * organization's own webhook URL unless told).
   */
  postStripe(event: object, secret?: string, url?: string): ReturnType<MessagingHarness['call']>;
  /** A Razorpay webhook signed as Razorpay signs them, to `url` as for Stripe. */
  postRazorpay(
    body: object,
    eventId: string,
    secret?: string,
    url?: string,
  ): ReturnType<MessagingHarness['call']>;
  /** Until the link's status is `status`. */
  linkIs(id: string, status: string): Promise<Record<string, unknown>>;
}

/**
 * The messaging harness with both gateways configured: Stripe on stripe-mock (started by the
 * global setup), Razorpay on its simulator, whose webhooks reach the API listening on loopback.
 */
export async function createPaymentsHarness(opts: { env?: Env } = {}): Promise<PaymentsHarness> {
  const razorpayPort = await freePort();
  const h = await createMessagingHarness({
    env: { ...opts.env, RAZORPAY_SIMULATOR_URL: `http://127.0.0.1:${razorpayPort}` },
  });
  const address = h.app.server.address() as { port: number };
  const razorpay = await createRazorpaySimulator({
    port: razorpayPort,
    webhookUrl: `http://127.0.0.1:${address.port}/api/webhooks/razorpay`,
  });
  const stripe = new Stripe('sk_test_helpers_only');
  for (const [gateway, payload] of [
    ['stripe', STRIPE_KEYS],
    ['razorpay', RAZORPAY_KEYS],
  ] as const) {
    const res = await h.call({ method: 'PUT', url: `/api/integrations/${gateway}`, payload });
    if (res.statusCode !== 200) throw new Error(`${gateway}: ${res.statusCode} ${res.body}`);
  }
  // The simulator posts to the organization's own URL, on the port the API listens on here.
  const orgId = h.org.organization.id;
  razorpay.register({
    ...RAZORPAY_KEYS,
    webhook_url: `http://127.0.0.1:${address.port}/api/webhooks/razorpay/${orgId}`,
  });
  const sync = await h.call({ method: 'POST', url: '/api/templates/sync', payload: {} });
  if (sync.statusCode !== 200) throw new Error(`template sync: ${sync.statusCode} ${sync.body}`);

  return {
    ...h,
    razorpay,
    stripe,
    postStripe(event, secret = STRIPE_KEYS.webhook_secret, url = `/api/webhooks/stripe/${orgId}`) {
      const payload = JSON.stringify(event);
      const header = stripe.webhooks.generateTestHeaderString({ payload, secret });
      return h.app.inject({
        method: 'POST',
        url,
        headers: { 'content-type': 'application/json', 'stripe-signature': header },
        payload,
      });
    },
    postRazorpay(
      body,
      eventId,
      secret = RAZORPAY_KEYS.webhook_secret,
      url = `/api/webhooks/razorpay/${orgId}`,
    ) {
      const payload = JSON.stringify(body);
      return h.app.inject({
        method: 'POST',
        url,
        headers: {
          'content-type': 'application/json',
          'x-razorpay-signature': signRazorpayBody(payload, secret),
          'x-razorpay-event-id': eventId,
        },
        payload,
      });
    },
    async linkIs(id, status) {
      let last: Record<string, unknown> = {};
      await waitUntil(
        `payment link ${id} is ${status}`,
        async () => {
          const res = await h.call({ method: 'GET', url: `/api/payment-links/${id}` });
          last = res.json().data as Record<string, unknown>;
          return last.status === status;
        },
        60_000,
      );
      return last;
    },
    async close() {
      await h.close();
      await razorpay.close();
    },
  };
}

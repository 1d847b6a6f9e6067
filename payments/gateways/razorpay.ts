import Razorpay from 'razorpay';
import { GatewayRejectedError, LINK_ID_KEY, type GatewayClient } from './types';

const TIMEOUT_MS = 10_000;

interface RazorpayError {
  statusCode?: number;
  error?: { code?: string; description?: string; field?: string };
}

interface RazorpayLink {
  id: string;
  short_url: string;
}

/**
 * A Razorpay client for `baseUrl`. The SDK has no option for its host: it keeps an axios
 * instance (`api.rq`) whose base URL is api.razorpay.com, set here to the simulator's in
 * sandbox mode.
 */
export function razorpaySdk(keyId: string, keySecret: string, baseUrl: string): Razorpay {
  const rp = new Razorpay({ key_id: keyId, key_secret: keySecret });
  const rq = (
    rp as unknown as { api: { rq: { defaults: { baseURL?: string; timeout?: number } } } }
  ).api.rq;
  rq.defaults.baseURL = baseUrl;
  rq.defaults.timeout = TIMEOUT_MS;
  return rp;
}

function rejectedOrThrow(err: unknown): never {
  const e = err as RazorpayError;
  if (e.statusCode && e.statusCode < 500 && e.statusCode !== 429) {
    throw new GatewayRejectedError('razorpay', e.error?.description ?? `HTTP ${e.statusCode}`);
  }
  // The SDK turns a network error into a TypeError (it reads a missing response): retried.
  throw err instanceof Error ? err : new Error(`Razorpay: HTTP ${e.statusCode ?? '?'}`);
}

/**
 * Razorpay Payment Links. Its idempotency is the reference id, unique per account: our link id
 * is sent as the reference id, so a retried create finds the link the first one made.
 */
export function razorpayGateway(keyId: string, keySecret: string, baseUrl: string): GatewayClient {
  const rp = razorpaySdk(keyId, keySecret, baseUrl);
  return {
    gateway: 'razorpay',
    async createLink(req) {
      const notes: Record<string, string> = { [LINK_ID_KEY]: req.linkId };
      if (req.referenceId) notes.reference_id = req.referenceId;
      try {
        const link = (await rp.paymentLink.create({
          amount: req.amount,
          currency: req.currency,
          description: req.description,
          customer: {
            ...(req.customer.phone ? { contact: req.customer.phone } : {}),
            ...(req.customer.name ? { name: req.customer.name } : {}),
          },
          // Waflow sends the link and the reminder on WhatsApp itself.
          notify: { sms: false, email: false },
          reminder_enable: false,
          reference_id: req.linkId,
          expire_by: Math.floor(req.expiresAt.getTime() / 1000),
          notes,
        })) as unknown as RazorpayLink;
        return { id: link.id, url: link.short_url };
      } catch (err) {
        const e = err as RazorpayError;
        if (e.statusCode === 400 && e.error?.field === 'reference_id') {
          const found = (await rp.paymentLink
            .all({ reference_id: req.linkId } as never)
            .catch(rejectedOrThrow)) as unknown as { payment_links?: RazorpayLink[] };
          const link = found.payment_links?.[0];
          if (link) return { id: link.id, url: link.short_url };
        }
        rejectedOrThrow(err);
      }
    },
    async deactivateLink(gatewayLinkId) {
      try {
        await rp.paymentLink.cancel(gatewayLinkId);
      } catch (err) {
        if ((err as RazorpayError).statusCode !== 400) rejectedOrThrow(err);
        // Already paid, expired or cancelled: nothing left to deactivate.
        const link = (await rp.paymentLink
          .fetch(gatewayLinkId)
          .catch(rejectedOrThrow)) as unknown as { status: string };
        if (link.status === 'created' || link.status === 'partially_paid') rejectedOrThrow(err);
      }
    },
  };
}

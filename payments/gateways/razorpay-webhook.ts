import { createHmac } from 'node:crypto';
import { safeEqual } from '../../lib/crypto';
import { UnauthorizedError, ValidationError } from '../../lib/errors';
import { parseRazorpayEvent } from '../webhook-events';
import type { VerifyGatewayWebhook } from './verify';

/** Razorpay's signature: hex HMAC-SHA256 of the raw body with the webhook secret. */
export const razorpaySignature = (raw: Buffer, secret: string) =>
  createHmac('sha256', secret).update(raw).digest('hex');

/** Razorpay's `X-Razorpay-Signature`, compared in constant time. */
export const verifyRazorpayWebhook: VerifyGatewayWebhook = async (raw, headers, secrets) => {
  const header = headers['x-razorpay-signature'];
  if (typeof header !== 'string') throw new UnauthorizedError('Missing X-Razorpay-Signature');
  for (const { orgId, secret } of await secrets()) {
    if (!safeEqual(razorpaySignature(raw, secret), header)) continue;
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new ValidationError('Body is not valid JSON');
    }
    if (!body || typeof body !== 'object') throw new ValidationError('Body is not an event');
    return { orgId, event: parseRazorpayEvent(orgId, body as Record<string, unknown>, raw) };
  }
  throw new UnauthorizedError('Invalid webhook signature');
};

import { createHmac } from 'node:crypto';
import { safeEqual } from '../lib/crypto';

/** What WooCommerce sends as X-WC-Webhook-Signature: base64 of HMAC-SHA256 of the raw body. */
export const wooSignature = (secret: string, raw: Buffer | string) =>
  createHmac('sha256', secret).update(raw).digest('base64');

export const validWooSignature = (secret: string, raw: Buffer, header: string) =>
  safeEqual(wooSignature(secret, raw), header.trim());

/**
 * WooCommerce's ping when a webhook is saved: a form-encoded `webhook_id=<n>`, unsigned.
 */
export function isWooPing(raw: Buffer, contentType: string | undefined): boolean {
  if (!contentType?.toLowerCase().startsWith('application/x-www-form-urlencoded')) return false;
  if (raw.length > 200) return false;
  return /^webhook_id=\d+$/.test(raw.toString('utf8').trim());
}

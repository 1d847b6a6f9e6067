import { createHmac } from 'node:crypto';
import { safeEqual } from '../lib/crypto';

const expectedSignature = (secret: string, raw: Buffer) =>
  `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;

/**
 * Whether `header` (X-Hub-Signature-256) is the app secret's signature of the exact bytes Meta
 * sent, compared in constant time.
 */
export function validSignature(secret: string, raw: Buffer, header: string): boolean {
  return safeEqual(expectedSignature(secret, raw), header);
}

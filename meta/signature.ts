import { createHmac, timingSafeEqual } from 'node:crypto';

const PREFIX = 'sha256=';
/** `sha256=` and the 32 bytes of an HMAC-SHA256 in hex. */
const HEADER_LENGTH = PREFIX.length + 64;

/**
 * Whether `header` (X-Hub-Signature-256) is the app secret's signature of the exact bytes Meta
 * sent, compared in constant time. The HMAC is computed whatever the header; a header of another
 * shape fails on its length, which is public.
 */
export function validSignature(secret: string, raw: Buffer, header: string): boolean {
  const expected = createHmac('sha256', secret).update(raw).digest();
  if (header.length !== HEADER_LENGTH || !header.startsWith(PREFIX)) return false;
  const given = Buffer.from(header.slice(PREFIX.length), 'hex');
  // Hex that does not decode whole comes out short.
  return given.length === expected.length && timingSafeEqual(given, expected);
}

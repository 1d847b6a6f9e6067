import { createHash } from 'node:crypto';

/**
 * Ids of sandbox numbers, derived rather than stored so the engine and the Meta simulator (a
 * separate process with no state of its own) agree on them.
 */

/** Digits only, as many as asked, derived from the seed. */
export function derivedDigits(seed: string, length: number): string {
  const hex = createHash('sha256').update(seed).digest('hex');
  const n = BigInt(`0x${hex}`).toString().replace(/^0+/, '');
  return `1${n}`.slice(0, length);
}

/** The WABA a sandbox phone number belongs to. */
export const sandboxWabaId = (phoneNumberId: string) => derivedDigits(`waba:${phoneNumberId}`, 15);

/** A display number in the +1 555 range Meta uses for test numbers. */
export const sandboxDisplayNumber = (phoneNumberId: string) =>
  `1555${derivedDigits(`display:${phoneNumberId}`, 8).slice(1)}`;

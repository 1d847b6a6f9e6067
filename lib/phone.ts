import { ValidationError } from './errors';

const E164 = /^\+[1-9]\d{7,14}$/;

/**
 * Normalises a phone number to E.164 (`+919876543210`): spaces, dashes, dots and brackets go,
 * a leading `00` becomes `+`, and a number without `+` is read as already carrying its country
 * code (as WhatsApp ids do). Returns null when the result is not a plausible E.164 number.
 */
export function normalizePhone(input: string): string | null {
  let s = input.trim().replace(/[\s\-().]/g, '');
  if (s.startsWith('00')) s = `+${s.slice(2)}`;
  else if (!s.startsWith('+')) s = `+${s}`;
  return E164.test(s) ? s : null;
}

export function requirePhone(input: string, field = 'phone_number'): string {
  const phone = normalizePhone(input);
  if (!phone)
    throw new ValidationError(`Invalid phone number: ${field} must be E.164, like +919876543210`);
  return phone;
}

/** WhatsApp ids are E.164 without the `+`. */
export const toWaId = (phone: string) => phone.replace(/^\+/, '');
